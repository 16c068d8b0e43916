package identity

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/arengo/arengo/internal/db"
	"github.com/arengo/arengo/internal/kernel"
	"github.com/arengo/arengo/internal/mail"
)

// MailFunc composes the email to u that carries a link with token, in u's
// language. The web layer supplies it: it knows the catalog, the public URL
// and the organisation's name; the service only decides when to send.
type MailFunc func(u User, token string) mail.Message

// Registration is what a newcomer submits on the sign-up form.
type Registration struct {
	Email           string
	Nickname        string
	Password        string
	PasswordConfirm string
	Locale          string
	AcceptPrivacy   bool // read the privacy notice (required)
}

// Register creates an unconfirmed account and queues the confirmation email
// in the same transaction, so there is never an account whose link was lost
// nor a link for an account that was rolled back. Every problem is reported
// at once as an *kernel.InvalidError on the fields "email", "nickname",
// "password", "password_confirm", "locale", "privacy".
func (s *Service) Register(ctx context.Context, reg Registration, confirmMail MailFunc) (User, error) {
	nu := NewUser{Email: reg.Email, Nickname: reg.Nickname, Password: reg.Password, Locale: reg.Locale}
	var v kernel.Validator
	validateNewUser(&v, nu)
	validateConfirm(&v, "password_confirm", reg.Password, reg.PasswordConfirm, v.Has("password"))
	v.Check(kernel.ValidLocale(reg.Locale), "locale", "account.error.locale_invalid")
	v.Check(reg.AcceptPrivacy, "privacy", "account.error.privacy_required")
	if err := v.Err(); err != nil {
		return User{}, err
	}
	u, hash, err := s.prepareUser(nu)
	if err != nil {
		return User{}, err
	}
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		if err := takenFields(ctx, tx, u.Email, u.Nickname); err != nil {
			return err
		}
		if err := insertUser(ctx, tx, &u, hash); err != nil {
			return err
		}
		token, err := s.issueToken(ctx, tx, u.ID, PurposeConfirm, ConfirmTokenTTL)
		if err != nil {
			return err
		}
		return mail.Enqueue(ctx, tx, s.clock.Now(), confirmMail(u, token))
	})
	if err != nil {
		return User{}, fmt.Errorf("identity: register: %w", err)
	}
	return u, nil
}

// validateConfirm checks the repeated password (unless the password itself
// is already wrong: one message is enough).
func validateConfirm(v *kernel.Validator, field, password, confirm string, passwordWrong bool) {
	switch {
	case passwordWrong:
	case confirm == "":
		v.Add(field, "account.error.password_confirm_required")
	case confirm != password:
		v.Add(field, "account.error.password_mismatch")
	}
}

// takenFields reports a taken email and a taken nickname together (the
// unique indexes still decide when two sign-ups race; this only spares the
// newcomer a second round trip).
func takenFields(ctx context.Context, q db.Querier, email, nickname string) error {
	rows, err := q.QueryContext(ctx, `SELECT COALESCE(email_key, ''), COALESCE(nickname_key, '') FROM users WHERE email_key = $1 OR nickname_key = $2`,
		NormalizeEmail(email), NicknameKey(nickname))
	if err != nil {
		return fmt.Errorf("identity: taken: %w", err)
	}
	defer rows.Close()
	var v kernel.Validator
	for rows.Next() {
		var ek, nk string
		if err := rows.Scan(&ek, &nk); err != nil {
			return err
		}
		if ek == NormalizeEmail(email) && !v.Has("email") {
			v.Add("email", "account.error.email_taken")
		}
		if nk == NicknameKey(nickname) && !v.Has("nickname") {
			v.Add("nickname", "account.error.nickname_taken")
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	return v.Err()
}

// ConfirmEmail confirms the address the link with token was sent to. It
// returns ErrTokenUnknown, ErrTokenExpired or ErrTokenUsed when the link
// cannot be used — except that a used link of an already confirmed account
// succeeds again: mail scanners often open links before the person does.
func (s *Service) ConfirmEmail(ctx context.Context, token string) (User, error) {
	var userID int64
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		id, err := s.consumeToken(ctx, tx, PurposeConfirm, token)
		userID = id
		if err != nil {
			return err
		}
		now := s.clock.Now()
		_, err = tx.ExecContext(ctx, `UPDATE users SET email_confirmed_at = $1, updated_at = $1 WHERE id = $2 AND email_confirmed_at IS NULL AND deleted_at IS NULL`, now, id)
		return err
	})
	if err != nil && !(errors.Is(err, ErrTokenUsed) && userID != 0) {
		return User{}, err
	}
	u, uerr := s.UserByID(ctx, userID)
	if uerr != nil {
		return User{}, uerr
	}
	if err != nil && !(u.Confirmed() && !u.Deleted()) {
		return User{}, err
	}
	return u, nil
}

// ResendConfirmation sends a new confirmation link when email belongs to a
// live, unconfirmed, unblocked account, and silently does nothing otherwise:
// the answer must not tell a stranger whether an address is registered. Only
// a malformed address is an error (on field "email").
func (s *Service) ResendConfirmation(ctx context.Context, email string, confirmMail MailFunc) error {
	u, ok, err := s.mailableUser(ctx, email)
	if err != nil || !ok || u.Confirmed() {
		return err
	}
	return s.sendLink(ctx, u, PurposeConfirm, ConfirmTokenTTL, confirmMail)
}

// RequestPasswordReset sends a reset link when email belongs to a live,
// unblocked account, and silently does nothing otherwise (see
// ResendConfirmation). Only a malformed address is an error.
func (s *Service) RequestPasswordReset(ctx context.Context, email string, resetMail MailFunc) error {
	u, ok, err := s.mailableUser(ctx, email)
	if err != nil || !ok {
		return err
	}
	return s.sendLink(ctx, u, PurposeReset, ResetTokenTTL, resetMail)
}

func (s *Service) mailableUser(ctx context.Context, email string) (User, bool, error) {
	var v kernel.Validator
	ValidateEmail(&v, "email", email)
	if err := v.Err(); err != nil {
		return User{}, false, err
	}
	u, err := s.UserByEmail(ctx, email)
	if errors.Is(err, kernel.ErrNotFound) {
		return User{}, false, nil
	}
	if err != nil {
		return User{}, false, err
	}
	return u, !u.BlockedAt.Valid, nil
}

func (s *Service) sendLink(ctx context.Context, u User, purpose string, ttl time.Duration, compose MailFunc) error {
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		token, err := s.issueToken(ctx, tx, u.ID, purpose, ttl)
		if err != nil {
			return err
		}
		return mail.Enqueue(ctx, tx, s.clock.Now(), compose(u, token))
	})
}

// CheckResetToken tells whether a reset link can still be used, so the page
// can say so before the person types a new password.
func (s *Service) CheckResetToken(ctx context.Context, token string) error {
	_, _, err := s.lookupToken(ctx, s.db.W(), PurposeReset, token)
	return err
}

// ResetPassword sets a new password through a reset link and signs the
// participant out everywhere (whoever knew the old password is out). The
// email is confirmed too: the link reached its inbox. Token problems return
// ErrToken*; a weak or mismatched password an *kernel.InvalidError on
// "password" / "password_confirm".
func (s *Service) ResetPassword(ctx context.Context, token, password, confirm string) (User, error) {
	_, userID, err := s.lookupToken(ctx, s.db.W(), PurposeReset, token)
	if err != nil {
		return User{}, err
	}
	u, err := s.UserByID(ctx, userID)
	if err != nil {
		return User{}, err
	}
	var v kernel.Validator
	ValidatePassword(&v, "password", password, emailLocalPart(u.Email), u.Nickname)
	validateConfirm(&v, "password_confirm", password, confirm, v.Has("password"))
	if err := v.Err(); err != nil {
		return User{}, err
	}
	hash, err := s.opt.Hash.Hash(password)
	if err != nil {
		return User{}, err
	}
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := s.consumeToken(ctx, tx, PurposeReset, token); err != nil {
			return err
		}
		now := s.clock.Now()
		if _, err := tx.ExecContext(ctx, `UPDATE users SET password_hash = $1, email_confirmed_at = COALESCE(email_confirmed_at, $2), updated_at = $2
			WHERE id = $3 AND deleted_at IS NULL`, hash, now, userID); err != nil {
			return err
		}
		return s.DeleteUserSessions(ctx, tx, userID)
	})
	if err != nil {
		return User{}, fmt.Errorf("identity: reset password: %w", err)
	}
	return s.UserByID(ctx, userID)
}

// UpdateProfile changes the public nickname and the language. Errors are on
// "nickname" (invalid or taken) and "locale".
func (s *Service) UpdateProfile(ctx context.Context, userID int64, nickname, locale string) error {
	var v kernel.Validator
	ValidateNickname(&v, "nickname", nickname)
	v.Check(kernel.ValidLocale(locale), "locale", "account.error.locale_invalid")
	if err := v.Err(); err != nil {
		return err
	}
	nickname = strings.TrimSpace(nickname)
	res, err := s.db.W().ExecContext(ctx, `UPDATE users SET nickname = $1, nickname_key = $2, locale = $3, updated_at = $4 WHERE id = $5 AND deleted_at IS NULL`,
		nickname, NicknameKey(nickname), locale, s.clock.Now(), userID)
	if err != nil {
		return uniqueToField(db.Normalize(err))
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("identity: profile of %d: %w", userID, kernel.ErrNotFound)
	}
	return nil
}

// ChangePassword replaces the password of a signed-in participant after
// checking the current one, and ends every session (the caller signs the
// current browser in again). Errors are on "current_password",
// "new_password", "new_password_confirm".
func (s *Service) ChangePassword(ctx context.Context, userID int64, current, password, confirm string) error {
	u, err := s.UserByID(ctx, userID)
	if err != nil {
		return err
	}
	var v kernel.Validator
	if current == "" {
		v.Add("current_password", "account.error.password_enter")
	} else if ok, _ := CheckPassword(u.passwordHash, current); !ok {
		v.Add("current_password", "account.error.current_password_wrong")
	}
	ValidatePassword(&v, "new_password", password, emailLocalPart(u.Email), u.Nickname)
	validateConfirm(&v, "new_password_confirm", password, confirm, v.Has("new_password"))
	if err := v.Err(); err != nil {
		return err
	}
	hash, err := s.opt.Hash.Hash(password)
	if err != nil {
		return err
	}
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE users SET password_hash = $1, updated_at = $2 WHERE id = $3 AND deleted_at IS NULL`, hash, s.clock.Now(), userID); err != nil {
			return fmt.Errorf("identity: change password: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM user_tokens WHERE user_id = $1 AND purpose = $2`, userID, PurposeReset); err != nil {
			return err
		}
		return s.DeleteUserSessions(ctx, tx, userID)
	})
}

// DeleteAccount erases a participant's personal data after checking the
// password (error on field "password"). The row stays so that contributions
// keep pointing at it — shown as "deleted participant" (see DisplayName) —
// but email, nickname and password are gone, the email and nickname are free
// for a new account, and every session and emailed link stops working.
func (s *Service) DeleteAccount(ctx context.Context, userID int64, password string) error {
	u, err := s.UserByID(ctx, userID)
	if err != nil {
		return err
	}
	if u.Deleted() {
		return fmt.Errorf("identity: delete %d: %w", userID, kernel.ErrNotFound)
	}
	if password == "" {
		return kernel.Invalid("password", "account.error.password_enter")
	}
	if ok, _ := CheckPassword(u.passwordHash, password); !ok {
		return kernel.Invalid("password", "account.error.current_password_wrong")
	}
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		now := s.clock.Now()
		if _, err := tx.ExecContext(ctx, `UPDATE users SET email = NULL, email_key = NULL, email_confirmed_at = NULL, password_hash = NULL,
			nickname = NULL, nickname_key = NULL, blocked_reason = NULL, is_admin = $1, deleted_at = $2, updated_at = $2
			WHERE id = $3 AND deleted_at IS NULL`, false, now, userID); err != nil {
			return fmt.Errorf("identity: erase %d: %w", userID, err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM user_tokens WHERE user_id = $1`, userID); err != nil {
			return fmt.Errorf("identity: erase tokens: %w", err)
		}
		for _, erase := range s.erasers {
			if err := erase(ctx, tx, userID); err != nil {
				return fmt.Errorf("identity: erase %d: %w", userID, err)
			}
		}
		return s.DeleteUserSessions(ctx, tx, userID)
	})
}

// ErasureHook erases what another module keeps about a participant (legal
// identity, verifications, notification settings…) when the account is
// deleted. It runs inside the deletion's transaction: if it fails, nothing
// is erased and the participant is told to try again.
type ErasureHook func(ctx context.Context, tx *sql.Tx, userID int64) error

// OnErase registers h. Call it while wiring, before serving.
func (s *Service) OnErase(h ErasureHook) { s.erasers = append(s.erasers, h) }

// SessionMax is the absolute lifetime of a session (the cookie's Max-Age).
func (s *Service) SessionMax() time.Duration { return s.opt.SessionMax }

// DeletedParticipantKey is the catalog key of the name shown instead of a
// deleted participant's nickname ("partecipante eliminato").
const DeletedParticipantKey = "account.deleted_participant"

// Translator is what can translate a catalog key in the reader's language —
// in templates, the page itself (*web.Page).
type Translator interface {
	T(key string, args ...any) string
}

// DisplayName is the public name of an author whose nickname another module
// read with a join: the nickname, or — when it is empty because the account
// was deleted and its nickname erased — the translated "deleted participant".
func DisplayName(t Translator, nickname string) string {
	if nickname == "" {
		return t.T(DeletedParticipantKey)
	}
	return nickname
}

// PublicName is an author's nickname as read by another module's join, for
// templates: {{.AuthorName.For $}} prints the nickname or "deleted
// participant" ($ being the *web.Page).
type PublicName string

// For returns the name to show to the reader behind t.
func (n PublicName) For(t Translator) string { return DisplayName(t, string(n)) }

// DisplayName is u's public name for the reader behind t: the nickname, or
// "deleted participant". In a template: {{.Author.DisplayName $}}.
func (u User) DisplayName(t Translator) string {
	if u.Deleted() {
		return t.T(DeletedParticipantKey)
	}
	return DisplayName(t, u.Nickname)
}

// ErrEmailTaken: the new address of an email change was taken by another
// account between the request and the click on the link.
var ErrEmailTaken = errors.New("identity: email address taken meanwhile")

// EmailChangeMails composes the two emails of an email change, in u's
// language: Link carries the confirmation link to newEmail; Notice tells
// the current address that a change was requested.
type EmailChangeMails struct {
	Link   func(u User, newEmail, token string) mail.Message
	Notice func(u User, newEmail string) mail.Message
}

// RequestEmailChange starts changing userID's address to newEmail: nothing
// changes until the link sent to newEmail is followed (ConfirmEmailChange),
// and the current address is told in the same transaction, so whoever
// controls it learns of the attempt. The current password is required when
// the account has one (an account made through SPID has none). Errors are
// on "new_email" (missing, malformed, the current one, taken) and
// "email_password".
func (s *Service) RequestEmailChange(ctx context.Context, userID int64, newEmail, password string, mails EmailChangeMails) error {
	u, err := s.UserByID(ctx, userID)
	if err != nil {
		return err
	}
	if u.Deleted() {
		return fmt.Errorf("identity: email change of %d: %w", userID, kernel.ErrNotFound)
	}
	newEmail = strings.TrimSpace(newEmail)
	var v kernel.Validator
	ValidateEmail(&v, "new_email", newEmail)
	if !v.Has("new_email") && NormalizeEmail(newEmail) == NormalizeEmail(u.Email) {
		v.Add("new_email", "account.error.email_same")
	}
	if u.passwordHash != "" {
		if password == "" {
			v.Add("email_password", "account.error.password_enter")
		} else if ok, _ := CheckPassword(u.passwordHash, password); !ok {
			v.Add("email_password", "account.error.current_password_wrong")
		}
	}
	if err := v.Err(); err != nil {
		return err
	}
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM users WHERE email_key = $1`, NormalizeEmail(newEmail)).Scan(&n); err != nil {
			return fmt.Errorf("identity: email change taken: %w", err)
		}
		if n > 0 {
			return kernel.Invalid("new_email", "account.error.email_taken")
		}
		token, err := s.issueTokenFor(ctx, tx, userID, PurposeEmailChange, EmailChangeTokenTTL, newEmail)
		if err != nil {
			return err
		}
		now := s.clock.Now()
		if err := mail.Enqueue(ctx, tx, now, mails.Link(u, newEmail, token)); err != nil {
			return err
		}
		if u.Email == "" {
			return nil
		}
		return mail.Enqueue(ctx, tx, now, mails.Notice(u, newEmail))
	})
}

// ConfirmEmailChange applies the email change whose link carried token:
// the new address is confirmed (the link reached it) and reset links sent
// to the old one stop working. Errors: ErrToken* for an unusable link,
// ErrEmailTaken when another account took the address meanwhile (the
// unique index decides; the link stays unused).
func (s *Service) ConfirmEmailChange(ctx context.Context, token string) (User, error) {
	var userID int64
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		id, uid, err := s.lookupToken(ctx, tx, PurposeEmailChange, token)
		if err != nil {
			return err
		}
		userID = uid
		var newEmail sql.NullString
		if err := tx.QueryRowContext(ctx, `SELECT new_email FROM user_tokens WHERE id = $1`, id).Scan(&newEmail); err != nil {
			return fmt.Errorf("identity: email change token: %w", err)
		}
		if !newEmail.Valid || newEmail.String == "" {
			return ErrTokenUnknown
		}
		now := s.clock.Now()
		res, err := tx.ExecContext(ctx, `UPDATE user_tokens SET used_at = $1 WHERE id = $2 AND used_at IS NULL`, now, id)
		if err != nil {
			return fmt.Errorf("identity: use token: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			return ErrTokenUsed
		}
		res, err = tx.ExecContext(ctx, `UPDATE users SET email = $1, email_key = $2, email_confirmed_at = $3, updated_at = $3 WHERE id = $4 AND deleted_at IS NULL`,
			newEmail.String, NormalizeEmail(newEmail.String), now, uid)
		if err != nil {
			if db.IsConflictOn(db.Normalize(err), "email_key") {
				return ErrEmailTaken
			}
			return fmt.Errorf("identity: change email of %d: %w", uid, err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return ErrTokenUnknown
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM user_tokens WHERE user_id = $1 AND purpose IN ($2, $3) AND used_at IS NULL`, uid, PurposeReset, PurposeConfirm)
		return err
	})
	if err != nil {
		return User{}, err
	}
	return s.UserByID(ctx, userID)
}
