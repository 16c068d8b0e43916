package identity

import (
	"context"
	"database/sql"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/arengo/arengo/internal/db"
	"github.com/arengo/arengo/internal/db/dbtest"
	"github.com/arengo/arengo/internal/kernel"
	"github.com/arengo/arengo/internal/mail"
)

func newTestService(d *db.DB) (*Service, *kernel.FixedClock) {
	clock := &kernel.FixedClock{T: time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)}
	return NewService(d, clock, Options{}), clock
}

// capture is a MailFunc that remembers the last token it was given.
type capture struct {
	mu    sync.Mutex
	token string
}

func (c *capture) mail(u User, token string) mail.Message {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.token = token
	return mail.Message{To: u.Email, Locale: u.Locale, Subject: "link", Body: token}
}

func count(t *testing.T, d *db.DB, q string, args ...any) int {
	t.Helper()
	var n int
	if err := d.R().QueryRow(q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

func reg(email, nick string) Registration {
	return Registration{Email: email, Nickname: nick, Password: "una frase lunga e sicura", PasswordConfirm: "una frase lunga e sicura", Locale: "it", AcceptPrivacy: true}
}

func TestRegisterIsAtomicWithItsMail(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s, _ := newTestService(d)
		ctx := context.Background()
		// A mail that cannot be queued rolls the account back.
		broken := func(User, string) mail.Message { return mail.Message{} }
		if _, err := s.Register(ctx, reg("a@example.it", "aaa"), broken); err == nil {
			t.Fatal("register with a failing mail succeeded")
		}
		if n := count(t, d, `SELECT COUNT(*) FROM users`) + count(t, d, `SELECT COUNT(*) FROM user_tokens`); n != 0 {
			t.Fatalf("half-saved registration: %d rows", n)
		}
		var c capture
		u, err := s.Register(ctx, reg("a@example.it", "aaa"), c.mail)
		if err != nil {
			t.Fatal(err)
		}
		if u.Confirmed() || count(t, d, `SELECT COUNT(*) FROM outbox WHERE to_address = 'a@example.it'`) != 1 {
			t.Fatal("expected an unconfirmed account and one mail")
		}
		// Taken email and nickname are reported together.
		_, err = s.Register(ctx, reg("A@example.it", "AAA"), c.mail)
		ie, ok := kernel.AsInvalid(err)
		if !ok || len(ie.Fields) != 2 {
			t.Fatalf("taken: %v", err)
		}
	})
}

func TestTokensAreSingleUseAndExpire(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s, clock := newTestService(d)
		ctx := context.Background()
		var c capture
		if _, err := s.Register(ctx, reg("b@example.it", "bbb"), c.mail); err != nil {
			t.Fatal(err)
		}
		if _, err := s.ConfirmEmail(ctx, "nope"); !errors.Is(err, ErrTokenUnknown) {
			t.Fatalf("unknown: %v", err)
		}
		u, err := s.ConfirmEmail(ctx, c.token)
		if err != nil || !u.Confirmed() {
			t.Fatalf("confirm: %v %v", u.Confirmed(), err)
		}

		// Reset links: two browsers racing with one link, exactly one wins.
		if err := s.RequestPasswordReset(ctx, "b@example.it", c.mail); err != nil {
			t.Fatal(err)
		}
		token := c.token
		var wg sync.WaitGroup
		errs := make([]error, 4)
		for i := range errs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = s.ResetPassword(ctx, token, "nuova password lunga", "nuova password lunga")
			}()
		}
		wg.Wait()
		var ok, used int
		for _, err := range errs {
			switch {
			case err == nil:
				ok++
			case errors.Is(err, ErrTokenUsed):
				used++
			default:
				t.Fatalf("race: %v", err)
			}
		}
		if ok != 1 || used != 3 {
			t.Fatalf("reset race: %d ok, %d used", ok, used)
		}

		if err := s.RequestPasswordReset(ctx, "b@example.it", c.mail); err != nil {
			t.Fatal(err)
		}
		clock.Advance(ResetTokenTTL)
		if err := s.CheckResetToken(ctx, c.token); !errors.Is(err, ErrTokenExpired) {
			t.Fatalf("expired: %v", err)
		}
		// Unknown and blocked addresses get no link, and no error.
		before := count(t, d, `SELECT COUNT(*) FROM outbox`)
		if err := s.RequestPasswordReset(ctx, "nessuno@example.it", c.mail); err != nil {
			t.Fatal(err)
		}
		d.W().Exec(`UPDATE users SET blocked_at = $1 WHERE email_key = 'b@example.it'`, clock.Now())
		if err := s.RequestPasswordReset(ctx, "b@example.it", c.mail); err != nil {
			t.Fatal(err)
		}
		if count(t, d, `SELECT COUNT(*) FROM outbox`) != before {
			t.Fatal("mail to an unknown or blocked address")
		}
	})
}

func TestDeleteAccountErasesPersonalData(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s, _ := newTestService(d)
		ctx := context.Background()
		u, err := s.CreateUser(ctx, NewUser{Email: "c@example.it", Nickname: "ccc", Password: "una frase lunga e sicura", Confirmed: true, IsAdmin: true})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.CreateSession(ctx, u.ID, "test"); err != nil {
			t.Fatal(err)
		}
		var erased []int64
		s.OnErase(func(ctx context.Context, tx *sql.Tx, id int64) error {
			erased = append(erased, id)
			return nil
		})
		if err := s.DeleteAccount(ctx, u.ID, "sbagliata"); !errors.Is(err, kernel.ErrInvalid) {
			t.Fatalf("wrong password: %v", err)
		}
		if err := s.DeleteAccount(ctx, u.ID, "una frase lunga e sicura"); err != nil {
			t.Fatal(err)
		}
		if len(erased) != 1 || erased[0] != u.ID {
			t.Fatalf("erasure hooks: %v", erased)
		}
		gone, err := s.UserByID(ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !gone.Deleted() || gone.Email != "" || gone.Nickname != "" || gone.IsAdmin || gone.passwordHash != "" || gone.Confirmed() {
			t.Fatalf("not erased: %+v", gone)
		}
		if count(t, d, `SELECT COUNT(*) FROM sessions`) != 0 {
			t.Fatal("session survived")
		}
		if err := s.DeleteAccount(ctx, u.ID, ""); !errors.Is(err, kernel.ErrNotFound) {
			t.Fatalf("second deletion: %v", err)
		}
		if _, err := s.CreateUser(ctx, NewUser{Email: "c@example.it", Nickname: "ccc", Password: "una frase lunga e sicura"}); err != nil {
			t.Fatalf("email and nickname not freed: %v", err)
		}
	})
}

func TestFailingErasureHookErasesNothing(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s, _ := newTestService(d)
		ctx := context.Background()
		u, _ := s.CreateUser(ctx, NewUser{Email: "f@example.it", Nickname: "fff", Password: "una frase lunga e sicura", Confirmed: true})
		s.OnErase(func(context.Context, *sql.Tx, int64) error { return errors.New("boom") })
		if err := s.DeleteAccount(ctx, u.ID, "una frase lunga e sicura"); err == nil {
			t.Fatal("deletion succeeded despite a failing hook")
		}
		if count(t, d, `SELECT COUNT(*) FROM users WHERE id = $1 AND deleted_at IS NULL AND nickname = 'fff'`, u.ID) != 1 {
			t.Fatal("half-erased account")
		}
	})
}

func TestUpdateProfileUniqueness(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s, _ := newTestService(d)
		ctx := context.Background()
		pw := "una frase lunga e sicura"
		a, _ := s.CreateUser(ctx, NewUser{Email: "d@example.it", Nickname: "ddd", Password: pw})
		if _, err := s.CreateUser(ctx, NewUser{Email: "e@example.it", Nickname: "eee", Password: pw}); err != nil {
			t.Fatal(err)
		}
		err := s.UpdateProfile(ctx, a.ID, "EEE", "en")
		if ie, ok := kernel.AsInvalid(err); !ok || ie.Fields[0].Key != "account.error.nickname_taken" {
			t.Fatalf("taken nickname: %v", err)
		}
		if err := s.UpdateProfile(ctx, a.ID, "Ddd", "en"); err != nil {
			t.Fatalf("own nickname, other case: %v", err)
		}
		u, _ := s.UserByID(ctx, a.ID)
		if u.Nickname != "Ddd" || u.Locale != "en" {
			t.Fatalf("profile: %+v", u)
		}
	})
}
