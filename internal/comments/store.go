package comments

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/arengo/arengo/internal/db"
)

// store is the SQL of comments. Reads go through r (the reader pool; tests
// swap in a counting wrapper to prove thread loading has no N+1).
type store struct {
	db *db.DB
	r  db.Querier
}

func newStore(d *db.DB) *store { return &store{db: d, r: d.R()} }

// commentColumns come with "FROM comments c LEFT JOIN users u ON u.id = c.author_id".
const commentColumns = `c.id, c.ref_type, c.ref_id, COALESCE(c.parent_id, 0), c.depth, COALESCE(c.author_id, 0), COALESCE(u.nickname, ''),
	u.deleted_at IS NOT NULL, u.blocked_at IS NOT NULL, c.alignment, c.body, c.mentions, c.created_at, c.edited_at, c.deleted_at`

func scanComment(row interface{ Scan(...any) error }, extra ...any) (*Comment, error) {
	c := &Comment{}
	var deleted, blocked sql.NullBool
	var edited, gone sql.NullTime
	var mentions string
	dest := []any{&c.ID, &c.Ref.Type, &c.Ref.ID, &c.ParentID, &c.Depth, &c.AuthorID, &c.AuthorNickname,
		&deleted, &blocked, &c.Alignment, &c.Body, &mentions, &c.CreatedAt, &edited, &gone}
	if err := row.Scan(append(dest, extra...)...); err != nil {
		return nil, err
	}
	c.AuthorDeleted = deleted.Bool || c.AuthorID == 0
	c.AuthorBlocked = blocked.Bool
	c.EditedAt, c.DeletedAt = edited.Time, gone.Time
	c.Mentions = strings.Fields(mentions)
	return c, nil
}

func (s *store) get(ctx context.Context, q db.Querier, id int64) (*Comment, error) {
	c, err := scanComment(q.QueryRowContext(ctx, `SELECT `+commentColumns+` FROM comments c LEFT JOIN users u ON u.id = c.author_id WHERE c.id = $1`, id))
	if err != nil {
		return nil, fmt.Errorf("comments: get %d: %w", id, db.Normalize(err))
	}
	return c, nil
}

// byIDs loads several comments in one query (moderation's Describe).
func (s *store) byIDs(ctx context.Context, ids []int64) (map[int64]*Comment, error) {
	out := map[int64]*Comment{}
	if len(ids) == 0 {
		return out, nil
	}
	args := make([]any, len(ids))
	ph := make([]string, len(ids))
	for i, id := range ids {
		args[i] = id
		ph[i] = fmt.Sprintf("$%d", i+1)
	}
	rows, err := s.r.QueryContext(ctx, `SELECT `+commentColumns+` FROM comments c LEFT JOIN users u ON u.id = c.author_id
		WHERE c.id IN (`+strings.Join(ph, ", ")+`)`, args...)
	if err != nil {
		return nil, fmt.Errorf("comments: by ids: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		c, err := scanComment(rows)
		if err != nil {
			return nil, fmt.Errorf("comments: by ids: %w", err)
		}
		out[c.ID] = c
	}
	return out, rows.Err()
}

// thread loads every comment of ref with authors, vote totals and
// viewerID's own vote (0 for none) in one query, in id order.
func (s *store) thread(ctx context.Context, ref Ref, viewerID int64) ([]*Comment, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+commentColumns+`, COALESCE(v.up, 0), COALESCE(v.down, 0), COALESCE(mine.value, 0)
		FROM comments c LEFT JOIN users u ON u.id = c.author_id
		LEFT JOIN (SELECT cv.comment_id, SUM(CASE WHEN cv.value = 1 THEN 1 ELSE 0 END) AS up, SUM(CASE WHEN cv.value = -1 THEN 1 ELSE 0 END) AS down
			FROM comment_votes cv JOIN comments c2 ON c2.id = cv.comment_id
			WHERE c2.ref_type = $1 AND c2.ref_id = $2 GROUP BY cv.comment_id) v ON v.comment_id = c.id
		LEFT JOIN comment_votes mine ON mine.comment_id = c.id AND mine.user_id = $3
		WHERE c.ref_type = $1 AND c.ref_id = $2 ORDER BY c.id`, ref.Type, ref.ID, viewerID)
	if err != nil {
		return nil, fmt.Errorf("comments: thread %s: %w", ref, err)
	}
	defer rows.Close()
	var out []*Comment
	for rows.Next() {
		var up, down, mine int
		c, err := scanComment(rows, &up, &down, &mine)
		if err != nil {
			return nil, fmt.Errorf("comments: thread %s: %w", ref, err)
		}
		c.Up, c.Down, c.ViewerVote = up, down, mine
		out = append(out, c)
	}
	return out, rows.Err()
}

// topBefore returns, for each comment of ids, how many top-level comments
// of its thread are older than its own top-level ancestor (itself when top
// level): where the conversation stands in the oldest-first order, which is
// fixed because comments are never removed, only blanked. One query; replies
// are at most MaxDepth levels deep.
func (s *store) topBefore(ctx context.Context, q db.Querier, ids []int64) (map[int64]int, error) {
	out := map[int64]int{}
	if len(ids) == 0 {
		return out, nil
	}
	args := make([]any, len(ids))
	ph := make([]string, len(ids))
	for i, id := range ids {
		args[i] = id
		ph[i] = fmt.Sprintf("$%d", i+1)
	}
	rows, err := q.QueryContext(ctx, `SELECT c.id, (SELECT COUNT(*) FROM comments t WHERE t.ref_type = c.ref_type AND t.ref_id = c.ref_id
			AND t.parent_id IS NULL AND t.id < COALESCE(p3.id, p2.id, p1.id, c.id))
		FROM comments c LEFT JOIN comments p1 ON p1.id = c.parent_id LEFT JOIN comments p2 ON p2.id = p1.parent_id
		LEFT JOIN comments p3 ON p3.id = p2.parent_id
		WHERE c.id IN (`+strings.Join(ph, ", ")+`)`, args...)
	if err != nil {
		return nil, fmt.Errorf("comments: positions: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			return nil, fmt.Errorf("comments: positions: %w", err)
		}
		out[id] = n
	}
	return out, rows.Err()
}

// counts returns the number of comments not deleted per ref, in one grouped
// query for all refs.
func (s *store) counts(ctx context.Context, refs []Ref) (map[Ref]int, error) {
	out := map[Ref]int{}
	if len(refs) == 0 {
		return out, nil
	}
	where, args := refsClause("ref_type", "ref_id", refs, nil)
	rows, err := s.r.QueryContext(ctx, `SELECT ref_type, ref_id, COUNT(*) FROM comments WHERE deleted_at IS NULL AND `+where+` GROUP BY ref_type, ref_id`, args...)
	if err != nil {
		return nil, fmt.Errorf("comments: counts: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var r Ref
		var n int
		if err := rows.Scan(&r.Type, &r.ID, &n); err != nil {
			return nil, fmt.Errorf("comments: counts: %w", err)
		}
		out[r] = n
	}
	return out, rows.Err()
}

// refsClause builds "(t = $a AND id IN ($b, …)) OR …" for refs grouped by
// type, numbering placeholders after args, and returns the extended args.
func refsClause(typeCol, idCol string, refs []Ref, args []any) (string, []any) {
	byType := map[string][]int64{}
	var types []string
	seen := map[Ref]bool{}
	for _, r := range refs {
		if seen[r] {
			continue
		}
		seen[r] = true
		if _, ok := byType[r.Type]; !ok {
			types = append(types, r.Type)
		}
		byType[r.Type] = append(byType[r.Type], r.ID)
	}
	sort.Strings(types)
	parts := make([]string, 0, len(types))
	for _, t := range types {
		args = append(args, t)
		var b strings.Builder
		fmt.Fprintf(&b, "(%s = $%d AND %s IN (", typeCol, len(args), idCol)
		for i, id := range byType[t] {
			args = append(args, id)
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "$%d", len(args))
		}
		b.WriteString("))")
		parts = append(parts, b.String())
	}
	return "(" + strings.Join(parts, " OR ") + ")", args
}

// versions lists a comment's versions, oldest first.
func (s *store) versions(ctx context.Context, commentID int64) ([]Version, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT version, body, alignment, created_at FROM comment_versions WHERE comment_id = $1 ORDER BY version`, commentID)
	if err != nil {
		return nil, fmt.Errorf("comments: versions: %w", err)
	}
	defer rows.Close()
	var out []Version
	for rows.Next() {
		var v Version
		if err := rows.Scan(&v.Version, &v.Body, &v.Alignment, &v.CreatedAt); err != nil {
			return nil, fmt.Errorf("comments: versions: %w", err)
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// recentDuplicate reports whether authorID wrote exactly body since since.
func (s *store) recentDuplicate(ctx context.Context, q db.Querier, authorID int64, body string, since time.Time) (bool, error) {
	var n int
	err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM comments WHERE author_id = $1 AND created_at >= $2 AND body = $3 AND deleted_at IS NULL`,
		authorID, since, body).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("comments: duplicate check: %w", err)
	}
	return n > 0, nil
}

// mentionable is a participant a comment can mention.
type mentionable struct {
	ID       int64
	Key      string
	Nickname string
	Email    string
	Locale   string
}

// usersByNicknameKeys returns the live, unblocked participants with these
// nickname keys, in one query.
func (s *store) usersByNicknameKeys(ctx context.Context, q db.Querier, keys []string) ([]mentionable, error) {
	if len(keys) == 0 {
		return nil, nil
	}
	args := make([]any, len(keys))
	ph := make([]string, len(keys))
	for i, k := range keys {
		args[i] = k
		ph[i] = fmt.Sprintf("$%d", i+1)
	}
	rows, err := q.QueryContext(ctx, `SELECT id, nickname_key, COALESCE(nickname, ''), COALESCE(email, ''), locale FROM users
		WHERE nickname_key IN (`+strings.Join(ph, ", ")+`) AND deleted_at IS NULL AND blocked_at IS NULL ORDER BY id`, args...)
	if err != nil {
		return nil, fmt.Errorf("comments: mentioned users: %w", err)
	}
	defer rows.Close()
	var out []mentionable
	for rows.Next() {
		var m mentionable
		if err := rows.Scan(&m.ID, &m.Key, &m.Nickname, &m.Email, &m.Locale); err != nil {
			return nil, fmt.Errorf("comments: mentioned users: %w", err)
		}
		out = append(out, m)
	}
	return out, rows.Err()
}
