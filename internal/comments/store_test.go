package comments

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/arengo/arengo/internal/db"
	"github.com/arengo/arengo/internal/db/dbtest"
	"github.com/arengo/arengo/internal/i18n"
	"github.com/arengo/arengo/internal/identity"
	"github.com/arengo/arengo/internal/kernel"
	"github.com/arengo/arengo/internal/moderation"
	"github.com/arengo/arengo/internal/ratelimit"
)

// thingPolicy is a small commentable type for tests: things are open to
// comments unless listed in closed, visible unless listed in secret.
type thingPolicy struct {
	closed map[int64]bool
	secret map[int64]bool
}

func (p thingPolicy) CanComment(ctx context.Context, viewerID int64, ref Ref) (bool, string, error) {
	if p.closed[ref.ID] {
		return false, "comments.closed", nil
	}
	return viewerID != 0, "", nil
}
func (p thingPolicy) CanView(ctx context.Context, viewerID int64, ref Ref) (bool, error) {
	return !p.secret[ref.ID], nil
}
func (p thingPolicy) URL(ctx context.Context, ref Ref) (string, error) {
	return fmt.Sprintf("/things/%d", ref.ID), nil
}
func (p thingPolicy) SpaceOf(ctx context.Context, ref Ref) (string, int64, error) {
	return "process", 1, nil
}

// countingQuerier counts every statement sent through it.
type countingQuerier struct {
	db.Querier
	n atomic.Int64
}

func (c *countingQuerier) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	c.n.Add(1)
	return c.Querier.QueryContext(ctx, q, args...)
}
func (c *countingQuerier) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	c.n.Add(1)
	return c.Querier.QueryRowContext(ctx, q, args...)
}
func (c *countingQuerier) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	c.n.Add(1)
	return c.Querier.ExecContext(ctx, q, args...)
}

// countingHider counts HiddenSet calls (moderation's own tests prove one
// call is one query).
type countingHider struct {
	Hider
	n atomic.Int64
}

func (c *countingHider) HiddenSet(ctx context.Context, refs []moderation.Ref) (map[moderation.Ref]moderation.Hidden, error) {
	c.n.Add(1)
	return c.Hider.HiddenSet(ctx, refs)
}

type fixture struct {
	d     *db.DB
	svc   *Service
	mod   *moderation.Service
	ids   *identity.Service
	clock *kernel.FixedClock
	ctx   context.Context
}

func newFixture(t *testing.T, d *db.DB) *fixture {
	t.Helper()
	cat, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	clock := &kernel.FixedClock{T: time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)}
	ids := identity.NewService(d, clock, identity.Options{})
	lim := ratelimit.New(d, clock)
	mod := moderation.NewService(d, clock, cat, lim, ids, moderation.Options{BaseURL: "https://partecipa.example.it"})
	svc, err := NewService(d, clock, cat, lim, mod, Options{BaseURL: "https://partecipa.example.it", MaxLength: 200, RateLimit: ratelimit.Rule{Max: 1000, Window: time.Minute}})
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.Register("thing", thingPolicy{closed: map[int64]bool{9: true}, secret: map[int64]bool{8: true}}); err != nil {
		t.Fatal(err)
	}
	return &fixture{d: d, svc: svc, mod: mod, ids: ids, clock: clock, ctx: context.Background()}
}

func (f *fixture) user(t *testing.T, nick, locale string) identity.User {
	t.Helper()
	u, err := f.ids.CreateUser(f.ctx, identity.NewUser{Email: nick + "@prova.it", Nickname: nick, Password: "correct-horse-battery", Locale: locale, Confirmed: true})
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func (f *fixture) count(t *testing.T, q string, args ...any) int {
	t.Helper()
	var n int
	if err := f.d.W().QueryRow(q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

func wantInvalid(t *testing.T, err error, field, key string) {
	t.Helper()
	ie, ok := kernel.AsInvalid(err)
	if !ok {
		t.Fatalf("want invalid %s=%s, got %v", field, key, err)
	}
	for _, fe := range ie.Fields {
		if fe.Field == field && fe.Key == key {
			return
		}
	}
	t.Fatalf("want invalid %s=%s, got %v", field, key, err)
}

var thing1 = Ref{Type: "thing", ID: 1}

func TestPostReplyAndBadInput(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		anna := f.user(t, "anna", "it")
		root, err := f.svc.Post(f.ctx, anna.ID, NewComment{Ref: thing1, Body: "  <b>Primo</b> commento \r\n", Alignment: AlignFavour})
		if err != nil {
			t.Fatal(err)
		}
		if root.Depth != 0 || root.Body != "<b>Primo</b> commento" || root.Alignment != AlignFavour || root.AuthorNickname != "anna" {
			t.Fatalf("root: %+v", root)
		}
		parent := root
		for depth := 1; depth <= MaxDepth; depth++ {
			f.clock.Advance(time.Second)
			c, err := f.svc.Post(f.ctx, anna.ID, NewComment{Ref: thing1, ParentID: parent.ID, Body: fmt.Sprintf("risposta %d", depth)})
			if err != nil {
				t.Fatalf("depth %d: %v", depth, err)
			}
			if c.Depth != depth || c.ParentID != parent.ID {
				t.Fatalf("reply: %+v", c)
			}
			parent = c
		}
		before := f.count(t, `SELECT COUNT(*) FROM comments`)
		_, err = f.svc.Post(f.ctx, anna.ID, NewComment{Ref: thing1, ParentID: parent.ID, Body: "troppo in fondo"})
		wantInvalid(t, err, "parent_id", "comments.error.too_deep")

		other, err := f.svc.Post(f.ctx, anna.ID, NewComment{Ref: Ref{Type: "thing", ID: 2}, Body: "altrove"})
		if err != nil {
			t.Fatal(err)
		}
		before++
		cases := []struct {
			in           NewComment
			field, key   string
			wantNotFound bool
		}{
			{NewComment{Ref: thing1, Body: "   \n\t "}, "body", "comments.error.body_required", false},
			{NewComment{Ref: thing1, Body: strings.Repeat("è", 201)}, "body", "comments.error.body_too_long", false},
			{NewComment{Ref: thing1, Body: "ok", Alignment: "maybe"}, "alignment", "comments.error.alignment_invalid", false},
			{NewComment{Ref: thing1, Body: "ok", ParentID: 999999}, "parent_id", "comments.error.parent_missing", false},
			{NewComment{Ref: thing1, Body: "ok", ParentID: other.ID}, "parent_id", "comments.error.parent_elsewhere", false},
			{NewComment{Ref: Ref{Type: "thing", ID: 9}, Body: "chiuso"}, "", "comments.closed", false},
			{NewComment{Ref: Ref{Type: "thing", ID: 8}, Body: "segreto"}, "", "", true},
			{NewComment{Ref: Ref{Type: "nothing", ID: 1}, Body: "tipo ignoto"}, "", "", true},
		}
		for _, c := range cases {
			_, err := f.svc.Post(f.ctx, anna.ID, c.in)
			if c.wantNotFound {
				if !errors.Is(err, kernel.ErrNotFound) {
					t.Fatalf("%+v: want not found, got %v", c.in, err)
				}
				continue
			}
			wantInvalid(t, err, c.field, c.key)
		}
		// 200 characters exactly is fine (runes, not bytes).
		if _, err := f.svc.Post(f.ctx, anna.ID, NewComment{Ref: thing1, Body: strings.Repeat("è", 200)}); err != nil {
			t.Fatal(err)
		}
		before++
		if n := f.count(t, `SELECT COUNT(*) FROM comments`); n != before {
			t.Fatalf("comments stored: %d, want %d", n, before)
		}
		if _, err := f.svc.Post(f.ctx, 0, NewComment{Ref: thing1, Body: "anonimo"}); !errors.Is(err, kernel.ErrUnauthenticated) {
			t.Fatalf("anonymous: %v", err)
		}

		// The same text within a minute is refused; after it, accepted.
		f.clock.Advance(10 * time.Second)
		if _, err := f.svc.Post(f.ctx, anna.ID, NewComment{Ref: thing1, Body: "Ripeto"}); err != nil {
			t.Fatal(err)
		}
		f.clock.Advance(30 * time.Second)
		_, err = f.svc.Post(f.ctx, anna.ID, NewComment{Ref: Ref{Type: "thing", ID: 2}, Body: "Ripeto"})
		wantInvalid(t, err, "body", "comments.error.duplicate")
		f.clock.Advance(31 * time.Second)
		if _, err := f.svc.Post(f.ctx, anna.ID, NewComment{Ref: thing1, Body: "Ripeto"}); err != nil {
			t.Fatalf("after a minute: %v", err)
		}
	})
}

func TestRateLimit(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		f.svc.opt.RateLimit = ratelimit.Rule{Max: 3, Window: time.Minute}
		u := f.user(t, "veloce", "it")
		for i := 0; i < 3; i++ {
			if _, err := f.svc.Post(f.ctx, u.ID, NewComment{Ref: thing1, Body: fmt.Sprintf("numero %d", i)}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := f.svc.Post(f.ctx, u.ID, NewComment{Ref: thing1, Body: "numero 4"}); !errors.Is(err, kernel.ErrRateLimited) {
			t.Fatalf("want rate limited, got %v", err)
		}
		if n := f.count(t, `SELECT COUNT(*) FROM comments`); n != 3 {
			t.Fatalf("stored %d", n)
		}
	})
}

func TestVotesOnePerPersonUnderConcurrency(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		author := f.user(t, "autrice", "it")
		voter := f.user(t, "votante", "it")
		other := f.user(t, "altro", "it")
		c, err := f.svc.Post(f.ctx, author.ID, NewComment{Ref: thing1, Body: "Votatemi"})
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		errs := make(chan error, 16)
		for i := 0; i < 16; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := f.svc.Vote(f.ctx, voter.ID, c.ID, 1); err != nil {
					errs <- err
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatalf("concurrent vote: %v", err)
		}
		th, err := f.svc.Thread(f.ctx, voter.ID, thing1, "")
		if err != nil {
			t.Fatal(err)
		}
		if got := th.Comments[0]; got.Up != 1 || got.Down != 0 || got.ViewerVote != 1 {
			t.Fatalf("after concurrent votes: up %d down %d mine %d", got.Up, got.Down, got.ViewerVote)
		}
		// Changing one's vote replaces it; withdrawing removes it.
		if _, err := f.svc.Vote(f.ctx, voter.ID, c.ID, -1); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Vote(f.ctx, other.ID, c.ID, -1); err != nil {
			t.Fatal(err)
		}
		th, _ = f.svc.Thread(f.ctx, voter.ID, thing1, "")
		if got := th.Comments[0]; got.Up != 0 || got.Down != 2 || got.ViewerVote != -1 {
			t.Fatalf("after change: up %d down %d mine %d", got.Up, got.Down, got.ViewerVote)
		}
		if _, err := f.svc.Vote(f.ctx, voter.ID, c.ID, 0); err != nil {
			t.Fatal(err)
		}
		if n := f.count(t, `SELECT COUNT(*) FROM comment_votes WHERE comment_id = $1`, c.ID); n != 1 {
			t.Fatalf("votes left: %d", n)
		}
		_, err = f.svc.Vote(f.ctx, author.ID, c.ID, 1)
		wantInvalid(t, err, "", "comments.error.own_vote")
		_, err = f.svc.Vote(f.ctx, voter.ID, c.ID, 5)
		wantInvalid(t, err, "value", "comments.error.vote_invalid")
	})
}

func TestEditHistoryDeleteAndMentions(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		anna := f.user(t, "anna", "it")
		bob := f.user(t, "bob.smith", "en")
		carla := f.user(t, "carla", "it")
		// Mentions: existing nicknames only, case-insensitive, trailing
		// punctuation ignored, the author never notifies herself, emails are
		// not mentions.
		c, err := f.svc.Post(f.ctx, anna.ID, NewComment{Ref: thing1, Body: "Ciao @Bob.Smith. e @nessuno, scrivi a x@carla.it @anna"})
		if err != nil {
			t.Fatal(err)
		}
		if strings.Join(c.Mentions, ",") != "anna,bob.smith" {
			t.Fatalf("mentions: %v", c.Mentions)
		}
		if n := f.count(t, `SELECT COUNT(*) FROM notifications WHERE user_id = $1 AND kind = 'comment.mention' AND url = $2`, bob.ID, fmt.Sprintf("/things/1#comment-%d", c.ID)); n != 1 {
			t.Fatalf("bob notifications: %d", n)
		}
		if n := f.count(t, `SELECT COUNT(*) FROM notifications`); n != 1 {
			t.Fatalf("notifications: %d", n)
		}
		var subject, body, locale string
		if err := d.W().QueryRow(`SELECT subject, body_text, locale FROM outbox WHERE to_address = $1`, bob.Email).Scan(&subject, &body, &locale); err != nil {
			t.Fatal(err)
		}
		if locale != "en" || subject != "anna mentioned you in a comment" || !strings.Contains(body, fmt.Sprintf("https://partecipa.example.it/things/1#comment-%d", c.ID)) {
			t.Fatalf("mail: %s %q %q", locale, subject, body)
		}
		html := string(renderBody(c.Body, c.Mentions))
		if !strings.Contains(html, `<strong class="mention">@Bob.Smith</strong>.`) || strings.Contains(html, `mention">@nessuno`) || strings.Contains(html, `mention">@carla`) {
			t.Fatalf("rendered: %s", html)
		}

		// Editing keeps every version, notifies only the newly mentioned.
		f.clock.Advance(time.Minute)
		if _, err := f.svc.Edit(f.ctx, anna.ID, c.ID, "Ciao @bob.smith e @carla <script>", AlignAgainst); err != nil {
			t.Fatal(err)
		}
		if n := f.count(t, `SELECT COUNT(*) FROM notifications`); n != 2 {
			t.Fatalf("notifications after edit: %d", n)
		}
		if n := f.count(t, `SELECT COUNT(*) FROM notifications WHERE user_id = $1`, carla.ID); n != 1 {
			t.Fatalf("carla notifications: %d", n)
		}
		h, err := f.svc.History(f.ctx, 0, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(h.Versions) != 2 || h.Versions[0].Body != "Ciao @Bob.Smith. e @nessuno, scrivi a x@carla.it @anna" || h.Versions[1].Body != "Ciao @bob.smith e @carla <script>" || h.Versions[1].Alignment != AlignAgainst {
			t.Fatalf("history: %+v", h.Versions)
		}
		if !h.Comment.Edited() {
			t.Fatal("not marked edited")
		}
		_, err = f.svc.Edit(f.ctx, bob.ID, c.ID, "non mio", "")
		if !errors.Is(err, kernel.ErrForbidden) {
			t.Fatalf("edit by another: %v", err)
		}
		_, err = f.svc.Edit(f.ctx, anna.ID, c.ID, "  ", "")
		wantInvalid(t, err, "body", "comments.error.body_required")

		// Deleting keeps the thread: replies stay, the text and history go.
		reply, err := f.svc.Post(f.ctx, bob.ID, NewComment{Ref: thing1, ParentID: c.ID, Body: "Risposta"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Delete(f.ctx, bob.ID, c.ID); !errors.Is(err, kernel.ErrForbidden) {
			t.Fatalf("delete by another: %v", err)
		}
		if _, err := f.svc.Delete(f.ctx, anna.ID, c.ID); err != nil {
			t.Fatal(err)
		}
		th, err := f.svc.Thread(f.ctx, 0, thing1, "")
		if err != nil {
			t.Fatal(err)
		}
		if len(th.Comments) != 1 || !th.Comments[0].Deleted() || th.Comments[0].Body != "" || len(th.Comments[0].Replies) != 1 || th.Comments[0].Replies[0].ID != reply.ID || th.Total != 1 {
			t.Fatalf("thread after delete: %+v", th.Comments[0])
		}
		if n := f.count(t, `SELECT COUNT(*) FROM comment_versions WHERE comment_id = $1`, c.ID); n != 0 {
			t.Fatalf("versions kept after delete: %d", n)
		}
		if _, err := f.svc.History(f.ctx, 0, c.ID); !errors.Is(err, kernel.ErrNotFound) {
			t.Fatalf("history of deleted: %v", err)
		}
		_, err = f.svc.Post(f.ctx, bob.ID, NewComment{Ref: thing1, ParentID: c.ID, Body: "a un commento eliminato"})
		wantInvalid(t, err, "parent_id", "comments.error.parent_deleted")
	})
}

func TestThreadSortsAndLoadsWithoutNPlusOne(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		cq := &countingQuerier{Querier: d.R()}
		f.svc.st.r = cq
		ch := &countingHider{Hider: f.svc.hider}
		f.svc.hider = ch
		users := []identity.User{f.user(t, "uno", "it"), f.user(t, "due", "it"), f.user(t, "tre", "it")}
		deleted := f.user(t, "sparito", "it")

		load := func(viewer int64, sortBy string) *Thread {
			t.Helper()
			cq.n.Store(0)
			ch.n.Store(0)
			th, err := f.svc.Thread(f.ctx, viewer, thing1, sortBy)
			if err != nil {
				t.Fatal(err)
			}
			// One query for the comments (authors, vote totals and the
			// viewer's votes joined); one HiddenSet call.
			if q, h := cq.n.Load(), ch.n.Load(); q != 1 || h != 1 {
				t.Fatalf("thread of %d comments: %d queries, %d hidden-set calls", th.Total, q, h)
			}
			return th
		}
		// Three top-level comments: A (oldest, 2 replies), B (best voted), C (newest).
		a, _ := f.svc.Post(f.ctx, users[0].ID, NewComment{Ref: thing1, Body: "A"})
		f.clock.Advance(time.Second)
		b, _ := f.svc.Post(f.ctx, deleted.ID, NewComment{Ref: thing1, Body: "B"})
		f.clock.Advance(time.Second)
		cc, _ := f.svc.Post(f.ctx, users[1].ID, NewComment{Ref: thing1, Body: "C"})
		for i, u := range users {
			if _, err := f.svc.Post(f.ctx, u.ID, NewComment{Ref: thing1, ParentID: a.ID, Body: fmt.Sprintf("risposta %d", i)}); err != nil {
				t.Fatal(err)
			}
			if _, err := f.svc.Vote(f.ctx, u.ID, b.ID, 1); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := d.W().Exec(`UPDATE users SET deleted_at = $1 WHERE id = $2`, f.clock.Now(), deleted.ID); err != nil {
			t.Fatal(err)
		}
		order := func(th *Thread) string {
			var s []string
			for _, c := range th.Comments {
				s = append(s, c.Body)
			}
			return strings.Join(s, "")
		}
		if got := order(load(users[0].ID, "")); got != "ABC" {
			t.Fatalf("oldest: %s", got)
		}
		if got := order(load(users[0].ID, SortNewest)); got != "CBA" {
			t.Fatalf("newest: %s", got)
		}
		if got := order(load(0, SortBest)); got != "BAC" {
			t.Fatalf("best: %s", got)
		}
		th := load(users[0].ID, SortDiscussed)
		if got := order(th); got != "ABC" || th.Comments[0].Descendants != 3 {
			t.Fatalf("discussed: %s", got)
		}
		if bc := th.Comments[1]; !bc.AuthorDeleted || bc.Up != 3 || bc.ViewerVote != 1 {
			t.Fatalf("B: %+v", bc)
		}
		// Ten times more comments: still the same number of queries.
		for i := 0; i < 30; i++ {
			f.clock.Advance(2 * time.Minute)
			if _, err := f.svc.Post(f.ctx, users[i%3].ID, NewComment{Ref: thing1, ParentID: cc.ID, Body: fmt.Sprintf("altra %d", i)}); err != nil {
				t.Fatal(err)
			}
		}
		if th := load(users[2].ID, SortDiscussed); th.Total != 36 || order(th)[0] != 'C' {
			t.Fatalf("bigger thread: %d %s", th.Total, order(th))
		}

		// Counts for many things: one grouped query.
		refs := []Ref{thing1, {Type: "thing", ID: 2}, {Type: "thing", ID: 3}, {Type: "other", ID: 1}}
		if _, err := f.svc.Post(f.ctx, users[0].ID, NewComment{Ref: Ref{Type: "thing", ID: 2}, Body: "sul secondo"}); err != nil {
			t.Fatal(err)
		}
		cq.n.Store(0)
		counts, err := f.svc.Counts(f.ctx, refs)
		if err != nil {
			t.Fatal(err)
		}
		if cq.n.Load() != 1 || counts[thing1] != 36 || counts[Ref{Type: "thing", ID: 2}] != 1 || counts[Ref{Type: "thing", ID: 3}] != 0 {
			t.Fatalf("counts (%d queries): %v", cq.n.Load(), counts)
		}
	})
}

func TestHiddenAndBlockedShowPlaceholders(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		author := f.user(t, "molesto", "it")
		other := f.user(t, "tranquilla", "it")
		c, _ := f.svc.Post(f.ctx, author.ID, NewComment{Ref: thing1, Body: "testo da nascondere"})
		c2, _ := f.svc.Post(f.ctx, other.ID, NewComment{Ref: thing1, Body: "testo visibile"})
		for i := 0; i < 3; i++ {
			r := f.user(t, fmt.Sprintf("segnala%d", i), "it")
			if _, err := f.mod.Report(f.ctx, r.ID, moderation.ReportInput{Ref: moderation.Ref{Type: TypeComment, ID: c.ID}, Reason: moderation.ReasonSpam}); err != nil {
				t.Fatal(err)
			}
		}
		th, err := f.svc.Thread(f.ctx, 0, thing1, "")
		if err != nil {
			t.Fatal(err)
		}
		if th.Comments[0].HiddenReason != moderation.ReasonSpam || th.Comments[0].Body != "" || th.Comments[1].Hidden() {
			t.Fatalf("hidden: %+v", th.Comments)
		}
		if _, err := d.W().Exec(`UPDATE users SET blocked_at = $1 WHERE id = $2`, f.clock.Now(), other.ID); err != nil {
			t.Fatal(err)
		}
		th, _ = f.svc.Thread(f.ctx, 0, thing1, "")
		if th.Comments[1].ID != c2.ID || th.Comments[1].HiddenReason != moderation.ReasonBlocked || th.Comments[1].Body != "" {
			t.Fatalf("blocked author: %+v", th.Comments[1])
		}
		// Moderation sees the comment's content, page and space.
		content, err := f.mod.Describe(f.ctx, moderation.Ref{Type: TypeComment, ID: c.ID})
		if err != nil {
			t.Fatal(err)
		}
		if content.Excerpt != "testo da nascondere" || content.URL != fmt.Sprintf("/things/1#comment-%d", c.ID) || content.SpaceType != "process" || content.AuthorID != author.ID {
			t.Fatalf("describe: %+v", content)
		}
	})
}

// TestThreadPagesAndCommentURLs: ThreadPage cuts the top level into pages
// (replies stay with their comment, moderation is asked about what is
// shown only), and a comment's URL, its mention notification and
// moderation's link name the page holding it — for replies at any depth.
func TestThreadPagesAndCommentURLs(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		ch := &countingHider{Hider: f.svc.hider}
		f.svc.hider = ch
		anna := f.user(t, "anna", "it")
		bob := f.user(t, "bob", "it")
		var top []*Comment
		for i := 0; i < 2*PerPage+1; i++ {
			f.clock.Advance(time.Second)
			c, err := f.svc.Post(f.ctx, anna.ID, NewComment{Ref: thing1, Body: fmt.Sprintf("commento %d", i)})
			if err != nil {
				t.Fatal(err)
			}
			top = append(top, c)
		}
		// A conversation three levels deep under the first comment of page 2,
		// the deepest reply, by anna, mentioning bob.
		parent := top[PerPage]
		for depth := 1; depth <= MaxDepth; depth++ {
			author, body := bob, fmt.Sprintf("livello %d", depth)
			if depth == MaxDepth {
				author, body = anna, body+" per @bob"
			}
			c, err := f.svc.Post(f.ctx, author.ID, NewComment{Ref: thing1, ParentID: parent.ID, Body: body})
			if err != nil {
				t.Fatal(err)
			}
			parent = c
		}
		deepest := parent

		page := func(viewer int64, sortBy string, n int) *Thread {
			t.Helper()
			ch.n.Store(0)
			th, err := f.svc.ThreadPage(f.ctx, viewer, thing1, sortBy, n)
			if err != nil {
				t.Fatal(err)
			}
			if ch.n.Load() != 1 {
				t.Fatalf("%d HiddenSet calls", ch.n.Load())
			}
			return th
		}
		th := page(bob.ID, "", 2)
		if th.Page != 2 || th.Pages != 3 || th.TopLevel != 2*PerPage+1 || th.Total != 2*PerPage+1+MaxDepth || len(th.Comments) != PerPage ||
			th.Comments[0].ID != top[PerPage].ID || th.Comments[0].Descendants != MaxDepth || th.Comments[0].Replies[0].Replies[0].Replies[0].ID != deepest.ID {
			t.Fatalf("page 2: page %d/%d, %d top level, %d comments, %d shown", th.Page, th.Pages, th.TopLevel, th.Total, len(th.Comments))
		}
		if th := page(0, "", 3); len(th.Comments) != 1 || th.Comments[0].ID != top[2*PerPage].ID {
			t.Fatalf("page 3: %d comments", len(th.Comments))
		}
		if th := page(0, "", 1_000_000); th.Page != 3 {
			t.Fatalf("a page beyond the last: %d", th.Page)
		}
		if th := page(0, SortNewest, 1); th.Comments[0].ID != top[2*PerPage].ID || len(th.Comments) != PerPage {
			t.Fatal("newest first, page 1")
		}
		if th := page(0, SortDiscussed, 1); th.Comments[0].ID != top[PerPage].ID {
			t.Fatal("the most discussed first, page 1")
		}
		if th, err := f.svc.Thread(f.ctx, 0, thing1, ""); err != nil || len(th.Comments) != 2*PerPage+1 || th.Pages != 1 {
			t.Fatalf("whole thread: %v", err)
		}

		want := fmt.Sprintf("/things/1?comments_page=2#comment-%d", deepest.ID)
		if u, err := f.svc.URL(f.ctx, deepest); err != nil || u != want {
			t.Fatalf("URL: %q %v, want %q", u, err, want)
		}
		if u, err := f.svc.URL(f.ctx, top[PerPage-1]); err != nil || u != fmt.Sprintf("/things/1#comment-%d", top[PerPage-1].ID) {
			t.Fatalf("URL on page 1: %q %v", u, err)
		}
		if u, _ := f.svc.URL(f.ctx, top[2*PerPage]); u != fmt.Sprintf("/things/1?comments_page=3#comment-%d", top[2*PerPage].ID) {
			t.Fatalf("URL on page 3: %q", u)
		}
		if n := f.count(t, `SELECT COUNT(*) FROM notifications WHERE user_id = $1 AND url = $2`, bob.ID, want); n != 1 {
			t.Fatalf("mention notification to page 2: %d", n)
		}
		content, err := f.mod.Describe(f.ctx, moderation.Ref{Type: TypeComment, ID: deepest.ID})
		if err != nil || content.URL != want {
			t.Fatalf("moderation's link: %q %v", content.URL, err)
		}
	})
}

// draftPolicy is a thing only some people can read, like an unpublished
// component its managers comment on.
type draftPolicy struct {
	thingPolicy
	blind map[int64]bool
}

func (p draftPolicy) CanView(ctx context.Context, viewerID int64, ref Ref) (bool, error) {
	return !p.blind[viewerID], nil
}

func TestMentionsOnlyNotifyReaders(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		anna := f.user(t, "anna", "it")
		bob := f.user(t, "bob", "it")
		carla := f.user(t, "carla", "en")
		if err := f.svc.Register("draft", draftPolicy{blind: map[int64]bool{bob.ID: true}}); err != nil {
			t.Fatal(err)
		}
		draft := Ref{Type: "draft", ID: 1}
		c, err := f.svc.Post(f.ctx, anna.ID, NewComment{Ref: draft, Body: "Testo riservato, @bob e @carla guardate"})
		if err != nil {
			t.Fatal(err)
		}
		if n := f.count(t, `SELECT COUNT(*) FROM notifications WHERE user_id = $1`, bob.ID); n != 0 {
			t.Fatalf("bob cannot read the draft but got %d notifications", n)
		}
		if n := f.count(t, `SELECT COUNT(*) FROM outbox WHERE to_address = $1`, bob.Email); n != 0 {
			t.Fatalf("bob cannot read the draft but got %d emails", n)
		}
		if n := f.count(t, `SELECT COUNT(*) FROM notifications WHERE user_id = $1`, carla.ID); n != 1 {
			t.Fatalf("carla notifications: %d", n)
		}
		if n := f.count(t, `SELECT COUNT(*) FROM outbox WHERE to_address = $1`, carla.Email); n != 1 {
			t.Fatalf("carla emails: %d", n)
		}

		// Editing does not leak it either.
		f.clock.Advance(time.Minute)
		if _, err := f.svc.Edit(f.ctx, anna.ID, c.ID, "Testo riservato modificato, @bob", AlignNeutral); err != nil {
			t.Fatal(err)
		}
		if n := f.count(t, `SELECT COUNT(*) FROM notifications WHERE user_id = $1`, bob.ID); n != 0 {
			t.Fatalf("bob notifications after edit: %d", n)
		}
		if n := f.count(t, `SELECT COUNT(*) FROM outbox WHERE to_address = $1`, bob.Email); n != 0 {
			t.Fatalf("bob emails after edit: %d", n)
		}
	})
}
