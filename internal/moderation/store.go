package moderation

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/arengo/arengo/internal/db"
)

// store is the SQL of moderation. Reads go through r (the reader pool; tests
// swap in a counting wrapper to prove there is no N+1).
type store struct {
	db *db.DB
	r  db.Querier
}

func newStore(d *db.DB) *store { return &store{db: d, r: d.R()} }

// refsClause builds "(t = $a AND id IN ($b, …)) OR …" for refs grouped by
// type, numbering placeholders from len(args)+1, and returns the new args.
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
	var parts []string
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

// hiddenSet returns the hidden things among refs in one query.
func (s *store) hiddenSet(ctx context.Context, refs []Ref) (map[Ref]Hidden, error) {
	out := map[Ref]Hidden{}
	if len(refs) == 0 {
		return out, nil
	}
	where, args := refsClause("ref_type", "ref_id", refs, nil)
	rows, err := s.r.QueryContext(ctx, `SELECT ref_type, ref_id, hidden_reason, hidden_at FROM moderation_items
		WHERE hidden_at IS NOT NULL AND `+where, args...)
	if err != nil {
		return nil, errorf("hidden set: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var r Ref
		var h Hidden
		if err := rows.Scan(&r.Type, &r.ID, &h.Reason, &h.At); err != nil {
			return nil, errorf("hidden set: %w", err)
		}
		out[r] = h
	}
	return out, rows.Err()
}

// isModerator reports whether user is a platform administrator or has the
// "moderator" or "admin" role in the space.
func (s *store) isModerator(ctx context.Context, q db.Querier, userID int64, spaceType string, spaceID int64) (bool, error) {
	var n int
	err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM users u WHERE u.id = $1 AND u.deleted_at IS NULL AND u.blocked_at IS NULL
		AND (u.is_admin = $2 OR EXISTS (SELECT 1 FROM space_roles sr WHERE sr.user_id = u.id AND sr.space_type = $3 AND sr.space_id = $4
		AND sr.role IN ('moderator', 'admin')))`, userID, true, spaceType, spaceID).Scan(&n)
	if err != nil {
		return false, errorf("is moderator: %w", err)
	}
	return n > 0, nil
}

// moderatorScope tells whether user is a platform admin and whether they
// moderate at least one space.
func (s *store) moderatorScope(ctx context.Context, userID int64) (admin, any bool, err error) {
	var spaces int
	err = s.r.QueryRowContext(ctx, `SELECT u.is_admin, (SELECT COUNT(*) FROM space_roles sr WHERE sr.user_id = u.id AND sr.role IN ('moderator', 'admin'))
		FROM users u WHERE u.id = $1 AND u.deleted_at IS NULL AND u.blocked_at IS NULL`, userID).Scan(&admin, &spaces)
	if errors.Is(err, sql.ErrNoRows) {
		return false, false, nil
	}
	if err != nil {
		return false, false, errorf("moderator scope: %w", err)
	}
	return admin, admin || spaces > 0, nil
}

const itemColumns = `i.id, i.ref_type, i.ref_id, i.space_type, i.space_id, COALESCE(i.author_id, 0), COALESCE(u.nickname, ''),
	u.deleted_at IS NOT NULL, u.blocked_at IS NOT NULL, COALESCE(u.blocked_reason, ''), i.reports_count,
	(SELECT COUNT(*) FROM moderation_reports mr WHERE mr.item_id = i.id AND mr.reviewed_at IS NULL),
	i.hidden_at, i.hidden_reason, i.resolved_at, i.resolution`

func scanItem(row interface{ Scan(...any) error }) (Item, error) {
	var it Item
	var deleted, blocked sql.NullBool
	var hidden, resolved sql.NullTime
	err := row.Scan(&it.ID, &it.Ref.Type, &it.Ref.ID, &it.SpaceType, &it.SpaceID, &it.AuthorID, &it.AuthorNickname,
		&deleted, &blocked, &it.BlockedReason, &it.ReportsCount, &it.Pending, &hidden, &it.HiddenReason, &resolved, &it.Resolution)
	it.AuthorDeleted = deleted.Bool || it.AuthorID == 0
	it.AuthorBlocked = blocked.Bool
	it.HiddenAt = hidden.Time
	it.ResolvedAt = resolved.Time
	return it, err
}

func (s *store) item(ctx context.Context, q db.Querier, id int64) (Item, error) {
	it, err := scanItem(q.QueryRowContext(ctx, `SELECT `+itemColumns+` FROM moderation_items i LEFT JOIN users u ON u.id = i.author_id WHERE i.id = $1`, id))
	if err != nil {
		return Item{}, errorf("item %d: %w", id, db.Normalize(err))
	}
	return it, nil
}

// queue lists items visible to a moderator (admin: every space), newest
// activity first, then fills in reasons and details with one more query.
func (s *store) queue(ctx context.Context, userID int64, admin bool, f QueueFilter) ([]Item, error) {
	limit := f.Limit
	if limit <= 0 || limit > 200 {
		limit = 50
	}
	args := []any{admin, userID}
	q := `SELECT ` + itemColumns + ` FROM moderation_items i LEFT JOIN users u ON u.id = i.author_id
		WHERE ($1 = TRUE OR EXISTS (SELECT 1 FROM space_roles sr WHERE sr.user_id = $2 AND sr.space_type = i.space_type
		AND sr.space_id = i.space_id AND sr.role IN ('moderator', 'admin')))`
	if f.SpaceType != "" {
		args = append(args, f.SpaceType, f.SpaceID)
		q += fmt.Sprintf(" AND i.space_type = $%d AND i.space_id = $%d", len(args)-1, len(args))
	}
	switch f.validState() {
	case StateOpen:
		q += " AND i.resolved_at IS NULL"
	case StateHidden:
		q += " AND i.hidden_at IS NOT NULL"
	case StateResolved:
		q += " AND i.resolved_at IS NOT NULL"
	}
	args = append(args, limit)
	q += fmt.Sprintf(" ORDER BY i.updated_at DESC, i.id DESC LIMIT $%d", len(args))
	rows, err := s.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, errorf("queue: %w", err)
	}
	var items []Item
	for rows.Next() {
		it, err := scanItem(rows)
		if err != nil {
			rows.Close()
			return nil, errorf("queue: %w", err)
		}
		items = append(items, it)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, errorf("queue: %w", err)
	}
	if err := s.fillReasons(ctx, items); err != nil {
		return nil, err
	}
	return items, nil
}

// fillReasons loads the pending reports' reasons and details of items in one query.
func (s *store) fillReasons(ctx context.Context, items []Item) error {
	if len(items) == 0 {
		return nil
	}
	idx := map[int64]int{}
	var b strings.Builder
	args := make([]any, 0, len(items))
	for i, it := range items {
		idx[it.ID] = i
		args = append(args, it.ID)
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "$%d", i+1)
	}
	// Reviewed reports are shown too for resolved items, so the history of a
	// decision stays visible; open items show what is pending.
	rows, err := s.r.QueryContext(ctx, `SELECT r.item_id, r.reason, r.details FROM moderation_reports r JOIN moderation_items i ON i.id = r.item_id
		WHERE r.item_id IN (`+b.String()+`) AND (r.reviewed_at IS NULL OR i.resolved_at IS NOT NULL) ORDER BY r.item_id, r.id`, args...)
	if err != nil {
		return errorf("reasons: %w", err)
	}
	defer rows.Close()
	counts := map[int64]map[string]int{}
	for rows.Next() {
		var id int64
		var reason, details string
		if err := rows.Scan(&id, &reason, &details); err != nil {
			return errorf("reasons: %w", err)
		}
		if counts[id] == nil {
			counts[id] = map[string]int{}
		}
		counts[id][reason]++
		if strings.TrimSpace(details) != "" {
			items[idx[id]].Details = append(items[idx[id]].Details, details)
		}
	}
	if err := rows.Err(); err != nil {
		return errorf("reasons: %w", err)
	}
	for id, m := range counts {
		items[idx[id]].Reasons = rankReasons(m)
	}
	return nil
}

// rankReasons orders reasons by count, then by the display order of Reasons.
func rankReasons(m map[string]int) []ReasonCount {
	var out []ReasonCount
	for _, r := range Reasons() {
		if m[r] > 0 {
			out = append(out, ReasonCount{Reason: r, Count: m[r]})
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Count > out[j].Count })
	return out
}

// upsertItem creates the item for ref or touches it, locking its row for the
// rest of tx (so concurrent reports on one thing are counted in turn).
func (s *store) upsertItem(ctx context.Context, tx *sql.Tx, ref Ref, c Content, now time.Time) (int64, error) {
	var author any
	if c.AuthorID != 0 {
		author = c.AuthorID
	}
	var id int64
	err := tx.QueryRowContext(ctx, `INSERT INTO moderation_items (ref_type, ref_id, space_type, space_id, author_id, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $6)
		ON CONFLICT (ref_type, ref_id) DO UPDATE SET updated_at = excluded.updated_at
		RETURNING id`, ref.Type, ref.ID, c.SpaceType, c.SpaceID, author, now).Scan(&id)
	if err != nil {
		return 0, errorf("upsert item: %w", err)
	}
	return id, nil
}

// pendingReasons counts the unreviewed reports of an item by reason.
func (s *store) pendingReasons(ctx context.Context, q db.Querier, itemID int64) (map[string]int, int, error) {
	rows, err := q.QueryContext(ctx, `SELECT reason, COUNT(*) FROM moderation_reports WHERE item_id = $1 AND reviewed_at IS NULL GROUP BY reason`, itemID)
	if err != nil {
		return nil, 0, errorf("pending reasons: %w", err)
	}
	defer rows.Close()
	m := map[string]int{}
	total := 0
	for rows.Next() {
		var r string
		var n int
		if err := rows.Scan(&r, &n); err != nil {
			return nil, 0, errorf("pending reasons: %w", err)
		}
		m[r] = n
		total += n
	}
	return m, total, rows.Err()
}

// userContact is what a notification email needs.
type userContact struct {
	ID       int64
	Email    string
	Nickname string
	Locale   string
	IsAdmin  bool
	Blocked  bool
	Reason   string
	Deleted  bool
	// Staff: holds a role in some space (space_roles).
	Staff bool
	// BlockedByAdmin: the block was decided by a platform administrator, or
	// by someone unknown (a block from before blocked_by or from outside
	// moderation), so only a platform administrator may lift it.
	BlockedByAdmin bool
}

func (s *store) userContact(ctx context.Context, q db.Querier, id int64) (userContact, error) {
	var u userContact
	var blocked, deleted sql.NullTime
	var staff, byOther int
	err := q.QueryRowContext(ctx, `SELECT u.id, COALESCE(u.email, ''), COALESCE(u.nickname, ''), u.locale, u.is_admin, u.blocked_at, COALESCE(u.blocked_reason, ''), u.deleted_at,
		(SELECT COUNT(*) FROM space_roles sr WHERE sr.user_id = u.id),
		(SELECT COUNT(*) FROM users b WHERE b.id = u.blocked_by AND b.is_admin = $2)
		FROM users u WHERE u.id = $1`, id, false).Scan(&u.ID, &u.Email, &u.Nickname, &u.Locale, &u.IsAdmin, &blocked, &u.Reason, &deleted, &staff, &byOther)
	if err != nil {
		return u, errorf("user %d: %w", id, db.Normalize(err))
	}
	u.Blocked, u.Deleted = blocked.Valid, deleted.Valid
	u.Staff = staff > 0
	u.BlockedByAdmin = u.Blocked && byOther == 0
	return u, nil
}
