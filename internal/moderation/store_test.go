package moderation

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
	"github.com/arengo/arengo/internal/ratelimit"
)

// notes is a small reportable type for tests: note N belongs to space
// ("process", N%2+1) and was written by authors[N].
type notes struct {
	authors map[int64]int64
	secret  map[int64]bool
}

func (n notes) Describe(ctx context.Context, ids []int64) (map[int64]Content, error) {
	out := map[int64]Content{}
	for _, id := range ids {
		if a, ok := n.authors[id]; ok {
			out[id] = Content{AuthorID: a, Excerpt: fmt.Sprintf("nota %d", id), URL: fmt.Sprintf("/notes/%d", id), SpaceType: "process", SpaceID: id%2 + 1}
		}
	}
	return out, nil
}

func (n notes) CanView(ctx context.Context, viewerID int64, ref Ref) (bool, error) {
	_, ok := n.authors[ref.ID]
	return ok && !n.secret[ref.ID], nil
}

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

type fixture struct {
	d     *db.DB
	svc   *Service
	ids   *identity.Service
	notes notes
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
	svc := NewService(d, clock, cat, ratelimit.New(d, clock), ids, Options{BaseURL: "https://partecipa.example.it", OrgName: "Comune di Prova"})
	n := notes{authors: map[int64]int64{}, secret: map[int64]bool{}}
	if err := svc.Register("note", n); err != nil {
		t.Fatal(err)
	}
	if err := svc.Register("note", n); err == nil {
		t.Fatal("registered a type twice")
	}
	return &fixture{d: d, svc: svc, ids: ids, notes: n, clock: clock, ctx: context.Background()}
}

func (f *fixture) user(t *testing.T, nick, locale string, admin bool) identity.User {
	t.Helper()
	u, err := f.ids.CreateUser(f.ctx, identity.NewUser{Email: nick + "@prova.it", Nickname: nick, Password: "correct-horse-battery", Locale: locale, Confirmed: true, IsAdmin: admin})
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

func TestReportsHideAtThreshold(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		author := f.user(t, "autore", "it", false)
		f.notes.authors[1] = author.ID
		f.notes.authors[2] = author.ID
		f.notes.secret[2] = true
		ref := Ref{Type: "note", ID: 1}
		var reporters []identity.User
		for i := 0; i < 4; i++ {
			reporters = append(reporters, f.user(t, fmt.Sprintf("lettore%d", i), "it", false))
		}
		// Bad reports store nothing.
		_, err := f.svc.Report(f.ctx, reporters[0].ID, ReportInput{Ref: ref, Reason: "boring"})
		wantInvalid(t, err, "reason", "moderation.error.reason_invalid")
		_, err = f.svc.Report(f.ctx, reporters[0].ID, ReportInput{Ref: ref, Reason: ReasonOther, Details: "   "})
		wantInvalid(t, err, "details", "moderation.error.details_required")
		_, err = f.svc.Report(f.ctx, reporters[0].ID, ReportInput{Ref: ref, Reason: ReasonSpam, Details: strings.Repeat("x", 1001)})
		wantInvalid(t, err, "details", "moderation.error.details_too_long")
		_, err = f.svc.Report(f.ctx, author.ID, ReportInput{Ref: ref, Reason: ReasonSpam})
		wantInvalid(t, err, "reason", "moderation.error.own_content")
		for _, r := range []Ref{{Type: "note", ID: 2}, {Type: "note", ID: 404}, {Type: "unknown", ID: 1}} {
			if _, err := f.svc.Report(f.ctx, reporters[0].ID, ReportInput{Ref: r, Reason: ReasonSpam}); !errors.Is(err, kernel.ErrNotFound) {
				t.Fatalf("report %s: %v", r, err)
			}
		}
		if n := f.count(t, `SELECT COUNT(*) FROM moderation_reports`); n != 0 {
			t.Fatalf("bad reports stored: %d", n)
		}

		reasons := []string{ReasonOffensive, ReasonSpam, ReasonOffensive}
		for i, reason := range reasons {
			hidden, err := f.svc.Report(f.ctx, reporters[i].ID, ReportInput{Ref: ref, Reason: reason})
			if err != nil {
				t.Fatal(err)
			}
			if hidden != (i == 2) {
				t.Fatalf("report %d: hidden=%v", i, hidden)
			}
			if i == 0 {
				_, err = f.svc.Report(f.ctx, reporters[0].ID, ReportInput{Ref: ref, Reason: ReasonSpam})
				wantInvalid(t, err, "reason", "moderation.error.already_reported")
			}
		}
		h, ok, err := f.svc.IsHidden(f.ctx, ref)
		if err != nil || !ok || h.Reason != ReasonOffensive {
			t.Fatalf("hidden: %v %v %+v", err, ok, h)
		}
		if n := f.count(t, `SELECT COUNT(*) FROM audit_log WHERE action = 'moderation.auto_hide' AND target_type = 'note' AND target_id = 1`); n != 1 {
			t.Fatalf("auto hide audited %d times", n)
		}
		// A fourth report does not hide twice.
		if hidden, err := f.svc.Report(f.ctx, reporters[3].ID, ReportInput{Ref: ref, Reason: ReasonOther, Details: "Dati personali di terzi"}); err != nil || hidden {
			t.Fatalf("fourth: %v %v", hidden, err)
		}

		// HiddenSet answers for many refs in one query.
		cq := &countingQuerier{Querier: d.R()}
		f.svc.st.r = cq
		var refs []Ref
		for i := int64(1); i <= 50; i++ {
			refs = append(refs, Ref{Type: "note", ID: i}, Ref{Type: "comment", ID: i})
		}
		set, err := f.svc.HiddenSet(f.ctx, refs)
		if err != nil {
			t.Fatal(err)
		}
		if cq.n.Load() != 1 || len(set) != 1 || set[ref].Reason != ReasonOffensive {
			t.Fatalf("hidden set (%d queries): %v", cq.n.Load(), set)
		}
		if set, _ := f.svc.HiddenSet(f.ctx, nil); len(set) != 0 || cq.n.Load() != 1 {
			t.Fatal("empty hidden set queried")
		}
	})
}

func TestConcurrentReportsHideOnce(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		author := f.user(t, "autore", "it", false)
		f.notes.authors[1] = author.ID
		var reporters []identity.User
		for i := 0; i < 8; i++ {
			reporters = append(reporters, f.user(t, fmt.Sprintf("lettore%d", i), "it", false))
		}
		var wg sync.WaitGroup
		var hides atomic.Int64
		errs := make(chan error, len(reporters)*2)
		for _, r := range reporters {
			for range 2 { // each person twice: one is refused
				wg.Add(1)
				go func() {
					defer wg.Done()
					hidden, err := f.svc.Report(f.ctx, r.ID, ReportInput{Ref: Ref{Type: "note", ID: 1}, Reason: ReasonSpam})
					if hidden {
						hides.Add(1)
					}
					if _, ok := kernel.AsInvalid(err); err != nil && !ok {
						errs <- err
					}
				}()
			}
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		if n := f.count(t, `SELECT COUNT(*) FROM moderation_reports`); n != 8 {
			t.Fatalf("reports: %d", n)
		}
		if n := f.count(t, `SELECT reports_count FROM moderation_items`); n != 8 {
			t.Fatalf("reports_count: %d", n)
		}
		if hides.Load() != 1 || f.count(t, `SELECT COUNT(*) FROM audit_log WHERE action = 'moderation.auto_hide'`) != 1 {
			t.Fatalf("hidden %d times", hides.Load())
		}
	})
}

func TestModeratorActionsAndBlock(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		author := f.user(t, "autore", "en", false)
		admin := f.user(t, "piattaforma", "it", true)
		mod1 := f.user(t, "moderatrice", "it", false)
		nobody := f.user(t, "qualcuno", "it", false)
		if _, err := d.W().Exec(`INSERT INTO space_roles (space_type, space_id, user_id, role, created_at) VALUES ('process', 2, $1, 'moderator', $2)`, mod1.ID, f.clock.Now()); err != nil {
			t.Fatal(err)
		}
		// Note 1 is in process 2 (mod1's), note 2 in process 1 (admins only).
		f.notes.authors[1] = author.ID
		f.notes.authors[2] = author.ID
		for _, id := range []int64{1, 2} {
			if _, err := f.svc.Report(f.ctx, nobody.ID, ReportInput{Ref: Ref{Type: "note", ID: id}, Reason: ReasonSpam}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := f.svc.Queue(f.ctx, nobody.ID, QueueFilter{}); !errors.Is(err, kernel.ErrForbidden) {
			t.Fatalf("queue for non-moderator: %v", err)
		}
		if _, err := f.svc.Queue(f.ctx, mod1.ID, QueueFilter{SpaceType: "process", SpaceID: 1}); !errors.Is(err, kernel.ErrForbidden) {
			t.Fatalf("queue of another space: %v", err)
		}
		q, err := f.svc.Queue(f.ctx, mod1.ID, QueueFilter{})
		if err != nil {
			t.Fatal(err)
		}
		if len(q) != 1 || q[0].Ref.ID != 1 || q[0].Content.Excerpt != "nota 1" || q[0].Pending != 1 || q[0].Reasons[0] != (ReasonCount{ReasonSpam, 1}) {
			t.Fatalf("mod1 queue: %+v", q)
		}
		all, err := f.svc.Queue(f.ctx, admin.ID, QueueFilter{})
		if err != nil || len(all) != 2 {
			t.Fatalf("admin queue: %v %d", err, len(all))
		}
		other := all[0]
		if other.Ref.ID != 2 {
			other = all[1]
		}
		if err := f.svc.Hide(f.ctx, mod1.ID, other.ID, ReasonSpam); !errors.Is(err, kernel.ErrForbidden) {
			t.Fatalf("hide in another space: %v", err)
		}
		item := q[0]
		wantInvalid(t, f.svc.Hide(f.ctx, mod1.ID, item.ID, "nope"), "hidden_reason", "moderation.error.reason_invalid")
		wantInvalid(t, f.svc.Restore(f.ctx, mod1.ID, item.ID), "", "moderation.error.not_hidden")
		if err := f.svc.Hide(f.ctx, mod1.ID, item.ID, ReasonOffTopic); err != nil {
			t.Fatal(err)
		}
		if h, ok, _ := f.svc.IsHidden(f.ctx, item.Ref); !ok || h.Reason != ReasonOffTopic {
			t.Fatalf("not hidden: %+v", h)
		}
		if open, _ := f.svc.Queue(f.ctx, mod1.ID, QueueFilter{}); len(open) != 0 {
			t.Fatalf("hidden item still open: %+v", open)
		}
		if err := f.svc.Restore(f.ctx, mod1.ID, item.ID); err != nil {
			t.Fatal(err)
		}
		if _, ok, _ := f.svc.IsHidden(f.ctx, item.Ref); ok {
			t.Fatal("restored item still hidden")
		}
		if err := f.svc.Dismiss(f.ctx, admin.ID, other.ID); err != nil {
			t.Fatal(err)
		}
		var before, after string
		if err := d.W().QueryRow(`SELECT before_json, after_json FROM audit_log WHERE action = 'moderation.hide' AND actor_id IS NULL`).Scan(&before, &after); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(before, `"hidden":false`) || !strings.Contains(after, `"hidden":true`) || !strings.Contains(after, `"hidden_reason":"off_topic"`) {
			t.Fatalf("audit: %s → %s", before, after)
		}

		// Blocking: reason required; admins and oneself cannot be blocked.
		wantInvalid(t, f.svc.Block(f.ctx, mod1.ID, item.ID, "  "), "block_reason", "moderation.error.block_reason_required")
		token, err := f.ids.CreateSession(f.ctx, author.ID, "test")
		if err != nil {
			t.Fatal(err)
		}
		if err := f.svc.Block(f.ctx, nobody.ID, item.ID, "spam ripetuto"); !errors.Is(err, kernel.ErrForbidden) {
			t.Fatalf("block by non-moderator: %v", err)
		}
		if err := f.svc.Block(f.ctx, mod1.ID, item.ID, "Spam ripetuto <b>dopo</b> avvisi"); err != nil {
			t.Fatal(err)
		}
		if _, err := f.ids.SessionUser(f.ctx, token); !errors.Is(err, kernel.ErrUnauthenticated) {
			t.Fatalf("session after block: %v", err)
		}
		if n := f.count(t, `SELECT COUNT(*) FROM sessions WHERE user_id = $1`, author.ID); n != 0 {
			t.Fatalf("sessions left: %d", n)
		}
		if _, err := f.ids.CheckCredentials(f.ctx, author.Email, "correct-horse-battery"); err == nil {
			t.Fatal("blocked user can log in")
		}
		var subject, body string
		if err := d.W().QueryRow(`SELECT subject, body_text FROM outbox WHERE to_address = $1 AND locale = 'en'`, author.Email).Scan(&subject, &body); err != nil {
			t.Fatal(err)
		}
		if subject != "Your account on Comune di Prova has been blocked" || !strings.Contains(body, "Reason: Spam ripetuto <b>dopo</b> avvisi") {
			t.Fatalf("block mail: %q %q", subject, body)
		}
		if h, ok, _ := f.svc.IsHidden(f.ctx, item.Ref); !ok || h.Reason != ReasonBlocked {
			t.Fatalf("blocked item not hidden: %+v", h)
		}
		wantInvalid(t, f.svc.Block(f.ctx, mod1.ID, item.ID, "di nuovo"), "block_reason", "moderation.error.already_blocked")
		if n := f.count(t, `SELECT COUNT(*) FROM audit_log WHERE action = 'moderation.block' AND target_type = 'user' AND target_id = $1`, author.ID); n != 1 {
			t.Fatalf("block audited %d times", n)
		}
		if err := f.svc.Unblock(f.ctx, mod1.ID, item.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := f.ids.CheckCredentials(f.ctx, author.Email, "correct-horse-battery"); err != nil {
			t.Fatalf("unblocked user cannot log in: %v", err)
		}
		// An administrator cannot be blocked through moderation.
		f.notes.authors[3] = admin.ID
		if _, err := f.svc.Report(f.ctx, nobody.ID, ReportInput{Ref: Ref{Type: "note", ID: 3}, Reason: ReasonSpam}); err != nil {
			t.Fatal(err)
		}
		q, _ = f.svc.Queue(f.ctx, mod1.ID, QueueFilter{})
		if len(q) != 1 || q[0].Ref.ID != 3 {
			t.Fatalf("queue: %+v", q)
		}
		if err := f.svc.Block(f.ctx, mod1.ID, q[0].ID, "no"); !errors.Is(err, kernel.ErrForbidden) {
			t.Fatalf("block admin: %v", err)
		}
	})
}

// A space moderator decides only on ordinary participants: staff of any
// space, and blocks decided by a platform administrator, are platform
// decisions.
func TestBlockPolicyForStaffAndAdminBlocks(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		admin := f.user(t, "piattaforma", "it", true)
		mod1 := f.user(t, "moderatrice", "it", false)
		staff := f.user(t, "staffaltrove", "it", false)
		author := f.user(t, "autore", "it", false)
		reporter := f.user(t, "lettore", "it", false)
		for _, r := range []struct {
			id   int64
			typ  string
			sid  int
			role string
		}{{mod1.ID, "process", 2, "moderator"}, {staff.ID, "assembly", 7, "admin"}} {
			if _, err := d.W().Exec(`INSERT INTO space_roles (space_type, space_id, user_id, role, created_at) VALUES ($1, $2, $3, $4, $5)`, r.typ, r.sid, r.id, r.role, f.clock.Now()); err != nil {
				t.Fatal(err)
			}
		}
		// Odd notes are in process 2, which mod1 moderates.
		item := func(note, authorID int64) int64 {
			t.Helper()
			f.notes.authors[note] = authorID
			if _, err := f.svc.Report(f.ctx, reporter.ID, ReportInput{Ref: Ref{Type: "note", ID: note}, Reason: ReasonSpam}); err != nil {
				t.Fatal(err)
			}
			return int64(f.count(t, `SELECT id FROM moderation_items WHERE ref_type = 'note' AND ref_id = $1`, note))
		}
		blocked := func(u identity.User) bool {
			t.Helper()
			return f.count(t, `SELECT COUNT(*) FROM users WHERE id = $1 AND blocked_at IS NOT NULL`, u.ID) == 1
		}
		audits := func(action string, u identity.User) int {
			t.Helper()
			return f.count(t, `SELECT COUNT(*) FROM audit_log WHERE action = $1 AND target_id = $2`, action, u.ID)
		}

		// Staff of another space: the moderator is refused, nothing changes.
		staffItem := item(1, staff.ID)
		wantInvalid(t, f.svc.Block(f.ctx, mod1.ID, staffItem, "spam"), "block_reason", "moderation.error.block_staff")
		if blocked(staff) || audits("moderation.block", staff) != 0 || f.count(t, `SELECT COUNT(*) FROM outbox WHERE to_address = $1`, staff.Email) != 0 {
			t.Fatal("staff blocked by a space moderator")
		}
		if err := f.svc.Block(f.ctx, admin.ID, staffItem, "spam"); err != nil {
			t.Fatal(err)
		}
		wantInvalid(t, f.svc.Unblock(f.ctx, mod1.ID, staffItem), "", "moderation.error.unblock_staff")
		if !blocked(staff) || audits("moderation.unblock", staff) != 0 {
			t.Fatal("staff unblocked by a space moderator")
		}
		if err := f.svc.Unblock(f.ctx, admin.ID, staffItem); err != nil || blocked(staff) {
			t.Fatalf("admin unblock of staff: %v", err)
		}

		// An ordinary participant blocked by a platform admin: only an admin
		// lifts it.
		authorItem := item(3, author.ID)
		if err := f.svc.Block(f.ctx, admin.ID, authorItem, "insulti"); err != nil {
			t.Fatal(err)
		}
		if n := f.count(t, `SELECT COUNT(*) FROM users WHERE id = $1 AND blocked_by = $2`, author.ID, admin.ID); n != 1 {
			t.Fatal("blocker not recorded")
		}
		wantInvalid(t, f.svc.Unblock(f.ctx, mod1.ID, authorItem), "", "moderation.error.unblock_admin_block")
		if !blocked(author) || audits("moderation.unblock", author) != 0 {
			t.Fatal("admin block lifted by a space moderator")
		}
		if err := f.svc.Unblock(f.ctx, admin.ID, authorItem); err != nil {
			t.Fatal(err)
		}
		if n := f.count(t, `SELECT COUNT(*) FROM users WHERE id = $1 AND blocked_by IS NULL`, author.ID); n != 1 {
			t.Fatal("blocker kept after unblock")
		}

		// The moderator's own block of an ordinary participant she may lift.
		if err := f.svc.Block(f.ctx, mod1.ID, authorItem, "insulti"); err != nil {
			t.Fatal(err)
		}
		if err := f.svc.Unblock(f.ctx, mod1.ID, authorItem); err != nil || blocked(author) {
			t.Fatalf("moderator unblock of her own block: %v", err)
		}

		// A block whose author is unknown (from before blocked_by, or from
		// outside moderation) is treated as an administrator's.
		if _, err := d.W().Exec(`UPDATE users SET blocked_at = $1, blocked_reason = 'x' WHERE id = $2`, f.clock.Now(), author.ID); err != nil {
			t.Fatal(err)
		}
		wantInvalid(t, f.svc.Unblock(f.ctx, mod1.ID, authorItem), "", "moderation.error.unblock_admin_block")
		if !blocked(author) {
			t.Fatal("unknown block lifted by a space moderator")
		}
	})
}
