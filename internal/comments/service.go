package comments

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/arengo/arengo/internal/db"
	"github.com/arengo/arengo/internal/i18n"
	"github.com/arengo/arengo/internal/kernel"
	"github.com/arengo/arengo/internal/mail"
	"github.com/arengo/arengo/internal/moderation"
	"github.com/arengo/arengo/internal/ratelimit"
)

// Options tune comments.
type Options struct {
	MaxLength       int            // characters; default 1,000
	DuplicateWindow time.Duration  // the same text again within it is refused; default 1 minute
	RateLimit       ratelimit.Rule // comments per participant; default 10 per minute
	VoteLimit       ratelimit.Rule // votes per participant; default 120 per minute
	BaseURL         string         // absolute links in emails
	OrgName         string         // email signature
}

// Hider tells which things moderators have hidden (moderation.Service).
type Hider interface {
	HiddenSet(ctx context.Context, refs []moderation.Ref) (map[moderation.Ref]moderation.Hidden, error)
}

// Service holds the comment rules.
type Service struct {
	db      *db.DB
	st      *store
	clock   kernel.Clock
	cat     *i18n.Catalog
	limiter *ratelimit.Limiter
	hider   Hider
	opt     Options

	mu       sync.RWMutex
	policies map[string]Policy
}

// NewService returns the service and registers comments as reportable
// (type "comment") with mod.
func NewService(d *db.DB, clock kernel.Clock, cat *i18n.Catalog, limiter *ratelimit.Limiter, mod *moderation.Service, opt Options) (*Service, error) {
	if opt.MaxLength <= 0 {
		opt.MaxLength = 1000
	}
	if opt.DuplicateWindow <= 0 {
		opt.DuplicateWindow = time.Minute
	}
	if opt.RateLimit.Max <= 0 {
		opt.RateLimit = ratelimit.Rule{Max: 10, Window: time.Minute}
	}
	if opt.VoteLimit.Max <= 0 {
		opt.VoteLimit = ratelimit.Rule{Max: 120, Window: time.Minute}
	}
	s := &Service{db: d, st: newStore(d), clock: clock, cat: cat, limiter: limiter, hider: mod, opt: opt, policies: map[string]Policy{}}
	if err := mod.Register(TypeComment, reportable{s}); err != nil {
		return nil, err
	}
	return s, nil
}

// Options returns the effective options.
func (s *Service) Options() Options { return s.opt }

// Register makes things of type typ commentable under p. A type registered
// twice is an error.
func (s *Service) Register(typ string, p Policy) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if typ == "" || p == nil {
		return fmt.Errorf("comments: register: empty type or nil policy")
	}
	if _, dup := s.policies[typ]; dup {
		return fmt.Errorf("comments: register: type %q registered twice", typ)
	}
	s.policies[typ] = p
	return nil
}

func (s *Service) policy(typ string) (Policy, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	p, ok := s.policies[typ]
	if !ok {
		return nil, fmt.Errorf("comments: type %q: %w", typ, kernel.ErrNotFound)
	}
	return p, nil
}

// visible returns the policy of ref after checking viewerID may see it
// (ErrNotFound otherwise, so hidden things are not confirmed to exist).
func (s *Service) visible(ctx context.Context, viewerID int64, ref Ref) (Policy, error) {
	p, err := s.policy(ref.Type)
	if err != nil {
		return nil, err
	}
	ok, err := p.CanView(ctx, viewerID, ref)
	if err != nil {
		return nil, fmt.Errorf("comments: can view %s: %w", ref, err)
	}
	if !ok {
		return nil, fmt.Errorf("comments: %s: %w", ref, kernel.ErrNotFound)
	}
	return p, nil
}

// mayComment checks the policy's CanComment; a refusal is an invalid-input
// error carrying the policy's reason, shown on the form.
func mayComment(ctx context.Context, p Policy, viewerID int64, ref Ref) error {
	ok, reason, err := p.CanComment(ctx, viewerID, ref)
	if err != nil {
		return fmt.Errorf("comments: can comment %s: %w", ref, err)
	}
	if !ok {
		if reason == "" {
			reason = "comments.error.not_allowed"
		}
		return kernel.Invalid("", reason)
	}
	return nil
}

// URL returns the link to a comment: its thing's page, at the page of the
// thread holding it (in the default, oldest-first order), at "#comment-N".
func (s *Service) URL(ctx context.Context, c *Comment) (string, error) {
	u, err := s.ThingURL(ctx, c.Ref)
	if err != nil {
		return "", err
	}
	before, err := s.st.topBefore(ctx, s.db.R(), []int64{c.ID})
	if err != nil {
		return "", err
	}
	return commentURL(u, c.ID, before[c.ID]), nil
}

// commentURL links to comment id on thingURL, which shows the thread in
// pages: the comment is on the page after before top-level comments.
func commentURL(thingURL string, id int64, before int) string {
	if page := before/PerPage + 1; page > 1 {
		sep := "?"
		if strings.Contains(thingURL, "?") {
			sep = "&"
		}
		thingURL += sep + PageParam + "=" + strconv.Itoa(page)
	}
	return thingURL + "#comment-" + strconv.FormatInt(id, 10)
}

// ThingURL returns the page of ref.
func (s *Service) ThingURL(ctx context.Context, ref Ref) (string, error) {
	p, err := s.policy(ref.Type)
	if err != nil {
		return "", err
	}
	u, err := p.URL(ctx, ref)
	if err != nil {
		return "", fmt.Errorf("comments: url %s: %w", ref, err)
	}
	return u, nil
}

// normalizeBody trims the text and unifies line ends; everything else is
// kept as typed (and escaped on output).
func normalizeBody(body string) string {
	return strings.TrimSpace(strings.ReplaceAll(body, "\r\n", "\n"))
}

func (s *Service) validateText(v *kernel.Validator, body, alignment string) {
	switch n := utf8.RuneCountInString(body); {
	case n == 0:
		v.Add("body", "comments.error.body_required")
	case n > s.opt.MaxLength:
		v.Add("body", "comments.error.body_too_long", "max", s.opt.MaxLength, "n", n)
	}
	if !ValidAlignment(alignment) {
		v.Add("alignment", "comments.error.alignment_invalid")
	}
}

// NewComment is what a participant submits.
type NewComment struct {
	Ref       Ref
	ParentID  int64 // 0 for a top-level comment
	Body      string
	Alignment string
}

// Post stores authorID's comment. Errors: ErrUnauthenticated; ErrNotFound
// for an unknown type or a thing the author cannot see; *kernel.InvalidError
// for a refusal by the policy (field ""), empty/too long text, a bad
// alignment, a missing, deleted, too deep or foreign parent ("parent_id"),
// the same text within the duplicate window ("body"); ErrRateLimited.
func (s *Service) Post(ctx context.Context, authorID int64, in NewComment) (*Comment, error) {
	if authorID == 0 {
		return nil, kernel.ErrUnauthenticated
	}
	p, err := s.visible(ctx, authorID, in.Ref)
	if err != nil {
		return nil, err
	}
	if err := mayComment(ctx, p, authorID, in.Ref); err != nil {
		return nil, err
	}
	body := normalizeBody(in.Body)
	var v kernel.Validator
	s.validateText(&v, body, in.Alignment)
	depth := 0
	if in.ParentID != 0 {
		parent, err := s.st.get(ctx, s.db.W(), in.ParentID)
		switch {
		case isNotFound(err):
			v.Add("parent_id", "comments.error.parent_missing")
		case err != nil:
			return nil, err
		case parent.Ref != in.Ref:
			v.Add("parent_id", "comments.error.parent_elsewhere")
		case parent.Deleted():
			v.Add("parent_id", "comments.error.parent_deleted")
		case parent.Depth >= MaxDepth:
			v.Add("parent_id", "comments.error.too_deep", "max", MaxDepth)
		default:
			depth = parent.Depth + 1
		}
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	now := s.clock.Now()
	dup, err := s.st.recentDuplicate(ctx, s.db.W(), authorID, body, now.Add(-s.opt.DuplicateWindow))
	if err != nil {
		return nil, err
	}
	if dup {
		return nil, kernel.Invalid("body", "comments.error.duplicate")
	}
	if err := s.limiter.Allow(ctx, "comment:"+strconv.FormatInt(authorID, 10), s.opt.RateLimit); err != nil {
		return nil, err
	}
	mentioned, err := s.st.usersByNicknameKeys(ctx, s.db.W(), mentionCandidates(body))
	if err != nil {
		return nil, err
	}
	readers, err := mentionReaders(ctx, p, in.Ref, authorID, mentioned, nil)
	if err != nil {
		return nil, err
	}
	url, err := p.URL(ctx, in.Ref)
	if err != nil {
		return nil, fmt.Errorf("comments: url %s: %w", in.Ref, err)
	}
	var c *Comment
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		var parent any
		if in.ParentID != 0 {
			parent = in.ParentID
		}
		var id int64
		if err := tx.QueryRowContext(ctx, `INSERT INTO comments (ref_type, ref_id, parent_id, depth, author_id, alignment, body, mentions, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`,
			in.Ref.Type, in.Ref.ID, parent, depth, authorID, in.Alignment, body, mentionKeys(mentioned), now).Scan(&id); err != nil {
			return fmt.Errorf("comments: insert: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO comment_versions (comment_id, version, body, alignment, created_at) VALUES ($1, 1, $2, $3, $4)`,
			id, body, in.Alignment, now); err != nil {
			return fmt.Errorf("comments: first version: %w", err)
		}
		var err error
		if c, err = s.st.get(ctx, tx, id); err != nil {
			return err
		}
		return s.notifyMentions(ctx, tx, now, c, url, readers, nil)
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

func isNotFound(err error) bool { return errors.Is(err, kernel.ErrNotFound) }

func mentionKeys(ms []mentionable) string {
	keys := make([]string, 0, len(ms))
	for _, m := range ms {
		keys = append(keys, m.Key)
	}
	return strings.Join(keys, " ")
}

// mentionReaders keeps the mentioned people who may read ref: a mention
// notifies by email with an excerpt, so mentioning someone on a thing they
// cannot see (an unpublished component, a private space) must not leak its
// text. Asked before the write transaction because a policy may read
// through its own pool.
func mentionReaders(ctx context.Context, p Policy, ref Ref, authorID int64, mentioned []mentionable, already map[string]bool) ([]mentionable, error) {
	out := make([]mentionable, 0, len(mentioned))
	for _, m := range mentioned {
		// Only those notifyMentions would notify, so a long list of
		// mentions costs at most maxMentions policy checks.
		if m.ID == authorID || already[m.Key] || len(out) >= maxMentions {
			continue
		}
		ok, err := p.CanView(ctx, m.ID, ref)
		if err != nil {
			return nil, fmt.Errorf("comments: mention visibility %s: %w", ref, err)
		}
		if ok {
			out = append(out, m)
		}
	}
	return out, nil
}

// notifyMentions writes an in-app notification and queues an email in the
// recipient's language for each mentioned participant not in already (and
// not the author), at most maxMentions. mentioned must already be filtered
// to those who may read the thing (mentionReaders).
func (s *Service) notifyMentions(ctx context.Context, tx *sql.Tx, now time.Time, c *Comment, thingURL string, mentioned []mentionable, already map[string]bool) error {
	link := ""
	sent := 0
	for _, m := range mentioned {
		if m.ID == c.AuthorID || already[m.Key] || sent >= maxMentions {
			continue
		}
		sent++
		if link == "" {
			before, err := s.st.topBefore(ctx, tx, []int64{c.ID})
			if err != nil {
				return err
			}
			link = commentURL(thingURL, c.ID, before[c.ID])
		}
		params, _ := json.Marshal(map[string]any{"comment_id": c.ID, "actor": c.AuthorNickname})
		if _, err := tx.ExecContext(ctx, `INSERT INTO notifications (user_id, kind, actor_id, ref_type, ref_id, url, params, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, m.ID, "comment.mention", c.AuthorID, TypeComment, c.ID, link, string(params), now); err != nil {
			return fmt.Errorf("comments: notify %d: %w", m.ID, err)
		}
		if m.Email == "" {
			continue
		}
		loc := m.Locale
		if !kernel.ValidLocale(loc) {
			loc = kernel.LocaleIT
		}
		body := s.cat.T(loc, "comments.mail.mention.body", "nickname", m.Nickname, "actor", c.AuthorNickname,
			"excerpt", excerpt(c.Body, 300), "url", s.opt.BaseURL+link) + "\n\n" + s.cat.T(loc, "mail.signature", "org", s.opt.OrgName)
		if err := mail.Enqueue(ctx, tx, now, mail.Message{To: m.Email, Locale: loc,
			Subject: s.cat.T(loc, "comments.mail.mention.subject", "actor", c.AuthorNickname), Body: body}); err != nil {
			return err
		}
	}
	return nil
}

// Get returns one comment (ErrNotFound when missing).
func (s *Service) Get(ctx context.Context, id int64) (*Comment, error) {
	return s.st.get(ctx, s.db.R(), id)
}

// Replyable returns comment id when viewerID may reply to it now, for the
// reply form. Errors: ErrUnauthenticated; ErrNotFound (also when the viewer
// cannot see its thing); *kernel.InvalidError for a refusal by the policy,
// a deleted, hidden or too deep comment.
func (s *Service) Replyable(ctx context.Context, viewerID, id int64) (*Comment, error) {
	if viewerID == 0 {
		return nil, kernel.ErrUnauthenticated
	}
	c, err := s.st.get(ctx, s.db.R(), id)
	if err != nil {
		return nil, err
	}
	p, err := s.visible(ctx, viewerID, c.Ref)
	if err != nil {
		return nil, err
	}
	if err := mayComment(ctx, p, viewerID, c.Ref); err != nil {
		return nil, err
	}
	switch {
	case c.Deleted():
		return nil, kernel.Invalid("parent_id", "comments.error.parent_deleted")
	case c.Depth >= MaxDepth:
		return nil, kernel.Invalid("parent_id", "comments.error.too_deep", "max", MaxDepth)
	}
	hidden, err := s.hider.HiddenSet(ctx, []moderation.Ref{{Type: TypeComment, ID: c.ID}})
	if err != nil {
		return nil, err
	}
	if len(hidden) > 0 || c.AuthorBlocked {
		return nil, kernel.Invalid("parent_id", "comments.error.parent_hidden")
	}
	return c, nil
}

// Edit replaces the text of authorID's comment, keeping the previous
// versions. Errors: ErrNotFound; ErrForbidden for someone else's comment;
// *kernel.InvalidError as for Post (and a deleted comment).
func (s *Service) Edit(ctx context.Context, authorID, commentID int64, body, alignment string) (*Comment, error) {
	if authorID == 0 {
		return nil, kernel.ErrUnauthenticated
	}
	c, err := s.st.get(ctx, s.db.W(), commentID)
	if err != nil {
		return nil, err
	}
	if c.AuthorID != authorID {
		return nil, fmt.Errorf("comments: edit %d: %w", commentID, kernel.ErrForbidden)
	}
	if c.Deleted() {
		return nil, kernel.Invalid("", "comments.error.deleted")
	}
	p, err := s.visible(ctx, authorID, c.Ref)
	if err != nil {
		return nil, err
	}
	if err := mayComment(ctx, p, authorID, c.Ref); err != nil {
		return nil, err
	}
	body = normalizeBody(body)
	var v kernel.Validator
	s.validateText(&v, body, alignment)
	if err := v.Err(); err != nil {
		return nil, err
	}
	if body == c.Body && alignment == c.Alignment {
		return c, nil
	}
	mentioned, err := s.st.usersByNicknameKeys(ctx, s.db.W(), mentionCandidates(body))
	if err != nil {
		return nil, err
	}
	already := map[string]bool{}
	for _, k := range c.Mentions {
		already[k] = true
	}
	readers, err := mentionReaders(ctx, p, c.Ref, authorID, mentioned, already)
	if err != nil {
		return nil, err
	}
	url, err := p.URL(ctx, c.Ref)
	if err != nil {
		return nil, fmt.Errorf("comments: url %s: %w", c.Ref, err)
	}
	now := s.clock.Now()
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE comments SET body = $1, alignment = $2, mentions = $3, edited_at = $4 WHERE id = $5 AND deleted_at IS NULL`,
			body, alignment, mentionKeys(mentioned), now, commentID)
		if err != nil {
			return fmt.Errorf("comments: edit: %w", err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return kernel.Invalid("", "comments.error.deleted")
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO comment_versions (comment_id, version, body, alignment, created_at)
			SELECT $1, COALESCE(MAX(version), 0) + 1, $2, $3, $4 FROM comment_versions WHERE comment_id = $1`, commentID, body, alignment, now); err != nil {
			return fmt.Errorf("comments: version: %w", err)
		}
		if c, err = s.st.get(ctx, tx, commentID); err != nil {
			return err
		}
		return s.notifyMentions(ctx, tx, now, c, url, readers, already)
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

// Delete removes authorID's comment: a placeholder stays so replies keep
// their place; its text and versions are erased. Deleting twice is a no-op.
func (s *Service) Delete(ctx context.Context, authorID, commentID int64) (*Comment, error) {
	if authorID == 0 {
		return nil, kernel.ErrUnauthenticated
	}
	c, err := s.st.get(ctx, s.db.W(), commentID)
	if err != nil {
		return nil, err
	}
	if c.AuthorID != authorID {
		return nil, fmt.Errorf("comments: delete %d: %w", commentID, kernel.ErrForbidden)
	}
	if c.Deleted() {
		return c, nil
	}
	now := s.clock.Now()
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE comments SET body = '', mentions = '', deleted_at = $1 WHERE id = $2`, now, commentID); err != nil {
			return fmt.Errorf("comments: delete: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM comment_versions WHERE comment_id = $1`, commentID); err != nil {
			return fmt.Errorf("comments: delete versions: %w", err)
		}
		c.DeletedAt, c.Body = now, ""
		return nil
	})
	return c, err
}

// Vote records voterID's vote on a comment: 1 up, -1 down, 0 to withdraw.
// One vote per person per comment (a primary key): voting again replaces
// the vote, and concurrent double clicks count once. Errors: ErrNotFound;
// *kernel.InvalidError for a bad value, one's own or a deleted comment, or
// a refusal by the policy; ErrRateLimited.
func (s *Service) Vote(ctx context.Context, voterID, commentID int64, value int) (*Comment, error) {
	if voterID == 0 {
		return nil, kernel.ErrUnauthenticated
	}
	if value < -1 || value > 1 {
		return nil, kernel.Invalid("value", "comments.error.vote_invalid")
	}
	c, err := s.st.get(ctx, s.db.W(), commentID)
	if err != nil {
		return nil, err
	}
	p, err := s.visible(ctx, voterID, c.Ref)
	if err != nil {
		return nil, err
	}
	switch {
	case c.Deleted():
		return nil, kernel.Invalid("", "comments.error.deleted")
	case c.AuthorID == voterID:
		return nil, kernel.Invalid("", "comments.error.own_vote")
	}
	if err := mayComment(ctx, p, voterID, c.Ref); err != nil {
		return nil, err
	}
	if err := s.limiter.Allow(ctx, "comment-vote:"+strconv.FormatInt(voterID, 10), s.opt.VoteLimit); err != nil {
		return nil, err
	}
	if value == 0 {
		_, err = s.db.W().ExecContext(ctx, `DELETE FROM comment_votes WHERE comment_id = $1 AND user_id = $2`, commentID, voterID)
	} else {
		_, err = s.db.W().ExecContext(ctx, `INSERT INTO comment_votes (comment_id, user_id, value, created_at) VALUES ($1, $2, $3, $4)
			ON CONFLICT (comment_id, user_id) DO UPDATE SET value = excluded.value`, commentID, voterID, value, s.clock.Now())
	}
	if err != nil {
		return nil, fmt.Errorf("comments: vote: %w", db.Normalize(err))
	}
	return c, nil
}

// Thread loads every comment of ref for viewerID (0 for anonymous) as a
// tree, top level in sortBy order. See ThreadPage.
func (s *Service) Thread(ctx context.Context, viewerID int64, ref Ref, sortBy string) (*Thread, error) {
	return s.thread(ctx, viewerID, ref, sortBy, 0)
}

// ThreadPage loads page (1-based, clamped to the pages there are) of the
// thread of ref for viewerID: PerPage top-level comments in sortBy order,
// each with all its replies, so a conversation is never cut in two. It
// costs one query for the comments (authors, vote totals and the viewer's
// votes joined) and one HiddenSet call for the comments shown — however
// many comments there are. ErrNotFound when the viewer cannot see ref.
func (s *Service) ThreadPage(ctx context.Context, viewerID int64, ref Ref, sortBy string, page int) (*Thread, error) {
	return s.thread(ctx, viewerID, ref, sortBy, max(page, 1))
}

// thread loads page of the thread, or all of it when page is 0.
func (s *Service) thread(ctx context.Context, viewerID int64, ref Ref, sortBy string, page int) (*Thread, error) {
	p, err := s.visible(ctx, viewerID, ref)
	if err != nil {
		return nil, err
	}
	t := &Thread{Ref: ref, Sort: ValidSort(sortBy), MaxLength: s.opt.MaxLength, SignedIn: viewerID != 0, ViewerID: viewerID, Page: 1, Pages: 1}
	if viewerID != 0 {
		ok, reason, err := p.CanComment(ctx, viewerID, ref)
		if err != nil {
			return nil, fmt.Errorf("comments: can comment %s: %w", ref, err)
		}
		t.CanComment, t.ReasonKey = ok, reason
		if !ok && reason == "" {
			t.ReasonKey = "comments.error.not_allowed"
		}
	}
	all, err := s.st.thread(ctx, ref, viewerID)
	if err != nil {
		return nil, err
	}
	byID := make(map[int64]*Comment, len(all))
	for _, c := range all {
		byID[c.ID] = c
		if !c.Deleted() {
			t.Total++
		}
	}
	// Comments come in id order, so a parent is always placed before its replies.
	var top []*Comment
	for _, c := range all {
		if parent, ok := byID[c.ParentID]; ok && c.ParentID != 0 {
			parent.Replies = append(parent.Replies, c)
		} else {
			top = append(top, c)
		}
	}
	for _, c := range top {
		countDescendants(c)
	}
	sortTop(top, t.Sort)
	t.TopLevel, t.Comments = len(top), top
	if page > 0 && len(top) > PerPage {
		t.Pages = (len(top) + PerPage - 1) / PerPage
		t.Page = min(page, t.Pages)
		t.Comments = top[(t.Page-1)*PerPage : min(t.Page*PerPage, len(top))]
	}
	// Moderators' decisions are looked up for the comments shown only.
	var shown []*Comment
	var walk func([]*Comment)
	walk = func(cs []*Comment) {
		for _, c := range cs {
			shown = append(shown, c)
			walk(c.Replies)
		}
	}
	walk(t.Comments)
	refs := make([]moderation.Ref, len(shown))
	for i, c := range shown {
		refs[i] = moderation.Ref{Type: TypeComment, ID: c.ID}
	}
	hidden, err := s.hider.HiddenSet(ctx, refs)
	if err != nil {
		return nil, err
	}
	for _, c := range shown {
		if h, ok := hidden[moderation.Ref{Type: TypeComment, ID: c.ID}]; ok {
			c.HiddenReason = h.Reason
		} else if c.AuthorBlocked {
			c.HiddenReason = moderation.ReasonBlocked
		}
		if c.Hidden() || c.Deleted() {
			c.Body, c.Mentions = "", nil // never reaches a template
		}
	}
	return t, nil
}

func countDescendants(c *Comment) int {
	n := 0
	for _, r := range c.Replies {
		n += 1 + countDescendants(r)
	}
	c.Descendants = n
	return n
}

func sortTop(cs []*Comment, by string) {
	less := func(i, j int) bool { return cs[i].ID < cs[j].ID }
	switch by {
	case SortNewest:
		less = func(i, j int) bool { return cs[i].ID > cs[j].ID }
	case SortBest:
		less = func(i, j int) bool {
			if a, b := cs[i].Score(), cs[j].Score(); a != b {
				return a > b
			}
			return cs[i].ID < cs[j].ID
		}
	case SortDiscussed:
		less = func(i, j int) bool {
			if a, b := cs[i].Descendants, cs[j].Descendants; a != b {
				return a > b
			}
			return cs[i].ID < cs[j].ID
		}
	}
	sort.SliceStable(cs, less)
}

// Counts returns how many comments (not deleted) each ref has, with one
// grouped query for all of them; refs without comments are absent (zero).
func (s *Service) Counts(ctx context.Context, refs []Ref) (map[Ref]int, error) {
	return s.st.counts(ctx, refs)
}

// History returns a comment with every version, for viewerID. Deleted
// comments, hidden ones and those by blocked participants have no history
// to show (ErrNotFound).
func (s *Service) History(ctx context.Context, viewerID, commentID int64) (*History, error) {
	c, err := s.st.get(ctx, s.db.R(), commentID)
	if err != nil {
		return nil, err
	}
	p, err := s.visible(ctx, viewerID, c.Ref)
	if err != nil {
		return nil, err
	}
	hidden, err := s.hider.HiddenSet(ctx, []moderation.Ref{{Type: TypeComment, ID: c.ID}})
	if err != nil {
		return nil, err
	}
	if c.Deleted() || c.AuthorBlocked || len(hidden) > 0 {
		return nil, fmt.Errorf("comments: history %d: %w", commentID, kernel.ErrNotFound)
	}
	vs, err := s.st.versions(ctx, commentID)
	if err != nil {
		return nil, err
	}
	url, err := p.URL(ctx, c.Ref)
	if err != nil {
		return nil, err
	}
	before, err := s.st.topBefore(ctx, s.db.R(), []int64{c.ID})
	if err != nil {
		return nil, err
	}
	return &History{Comment: *c, Versions: vs, URL: commentURL(url, c.ID, before[c.ID])}, nil
}
