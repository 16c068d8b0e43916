// Package identity manages participants: accounts, nicknames, passwords,
// sessions and emailed links (service: identity.go, account.go, tokens.go),
// and the pages through which a participant registers, confirms the email,
// signs in and out, resets the password, edits or deletes the account
// (Handlers: routes.go and web_*.go). Verification, eligibility and SPID live
// in sub-packages; see DESIGN.md.
//
// Other modules showing an author use DisplayName / PublicName: a deleted
// account keeps its row (contributions point to it) but its nickname is
// erased, and it is shown as "deleted participant".
package identity

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/arengo/arengo/internal/db"
	"github.com/arengo/arengo/internal/kernel"
)

// User is a participant's account as the platform sees it. Email is private;
// the public identity is the nickname.
type User struct {
	ID               int64
	Email            string
	EmailConfirmedAt sql.NullTime
	Nickname         string
	Locale           string
	IsAdmin          bool
	BlockedAt        sql.NullTime
	BlockedReason    string
	CreatedAt        time.Time
	DeletedAt        sql.NullTime
	passwordHash     string
}

// Confirmed reports whether the email address was confirmed.
func (u User) Confirmed() bool { return u.EmailConfirmedAt.Valid }

// Deleted reports whether the participant deleted the account: the row stays
// (contributions point to it) but every personal field is erased.
func (u User) Deleted() bool { return u.DeletedAt.Valid }

// Options tune sessions.
type Options struct {
	SessionIdle time.Duration // a session unused this long expires
	SessionMax  time.Duration // a session expires this long after login, used or not
	Hash        HashParams    // argon2id costs for new password hashes; zero = DefaultHashParams
}

// Service is the accounts use-case layer.
type Service struct {
	db      *db.DB
	clock   kernel.Clock
	opt     Options
	erasers []ErasureHook
}

// NewService returns the service.
func NewService(d *db.DB, clock kernel.Clock, opt Options) *Service {
	if opt.SessionIdle <= 0 {
		opt.SessionIdle = 2 * time.Hour
	}
	if opt.SessionMax <= 0 {
		opt.SessionMax = 12 * time.Hour
	}
	return &Service{db: d, clock: clock, opt: opt}
}

// DB returns the database (for sibling packages' stores).
func (s *Service) DB() *db.DB { return s.db }

// Limits on account fields.
const (
	MaxEmailLen    = 254
	MinNicknameLen = 3
	MaxNicknameLen = 30
	MinPasswordLen = 10
	MaxPasswordLen = 200
)

// reservedNicknames cannot be chosen: they would let someone pose as staff.
var reservedNicknames = map[string]bool{
	"admin": true, "administrator": true, "amministratore": true, "amministrazione": true, "moderator": true,
	"moderatore": true, "staff": true, "comune": true, "sindaco": true, "mayor": true, "arengo": true, "root": true,
	"system": true, "sistema": true, "support": true, "supporto": true, "assistenza": true, "deleted": true,
	"eliminato": true, "anonymous": true, "anonimo": true, "official": true, "ufficiale": true, "null": true,
}

// NormalizeEmail returns the lookup key for an address: trimmed, lowercased.
func NormalizeEmail(email string) string { return strings.ToLower(strings.TrimSpace(email)) }

// NicknameKey is the case-insensitive uniqueness key of a nickname.
func NicknameKey(nick string) string { return strings.ToLower(strings.TrimSpace(nick)) }

// ValidateEmail adds an error on field for a missing, malformed or too long address.
func ValidateEmail(v *kernel.Validator, field, email string) {
	email = strings.TrimSpace(email)
	switch {
	case email == "":
		v.Add(field, "account.error.email_required")
	case utf8.RuneCountInString(email) > MaxEmailLen:
		v.Add(field, "account.error.email_too_long", "max", MaxEmailLen)
	default:
		a, err := mail.ParseAddress(email)
		if err != nil || a.Address != email || !strings.Contains(email[strings.LastIndexByte(email, '@')+1:], ".") {
			v.Add(field, "account.error.email_invalid")
		}
	}
}

// ValidateNickname adds an error on field for an empty, too short/long,
// reserved nickname or one with characters other than letters, digits, ".", "-", "_".
func ValidateNickname(v *kernel.Validator, field, nick string) {
	nick = strings.TrimSpace(nick)
	n := utf8.RuneCountInString(nick)
	switch {
	case nick == "":
		v.Add(field, "account.error.nickname_required")
	case strings.ContainsAny(nick, "<>&\"'`"):
		v.Add(field, "account.error.nickname_markup")
	case n < MinNicknameLen:
		v.Add(field, "account.error.nickname_too_short", "min", MinNicknameLen)
	case n > MaxNicknameLen:
		v.Add(field, "account.error.nickname_too_long", "max", MaxNicknameLen)
	case strings.IndexFunc(nick, func(r rune) bool {
		return !(unicode.IsLetter(r) || unicode.IsDigit(r) || r == '.' || r == '-' || r == '_')
	}) >= 0:
		v.Add(field, "account.error.nickname_chars")
	case reservedNicknames[NicknameKey(nick)]:
		v.Add(field, "account.error.nickname_reserved")
	}
}

// commonPasswords are refused outright (a short list of the most used ones
// that satisfy the length rule).
var commonPasswords = map[string]bool{
	"1234567890": true, "0123456789": true, "qwertyuiop": true, "password123": true, "passwordpassword": true,
	"1111111111": true, "0000000000": true, "password12": true, "iloveyou12": true, "abcdefghij": true,
	"qwerty1234": true, "1q2w3e4r5t": true, "1qaz2wsx3edc": true, "123456789a": true, "password1!": true,
}

// ValidatePassword adds an error on field for a weak password.
func ValidatePassword(v *kernel.Validator, field, password string, related ...string) {
	n := utf8.RuneCountInString(password)
	switch {
	case password == "":
		v.Add(field, "account.error.password_required")
	case n < MinPasswordLen:
		v.Add(field, "account.error.password_too_short", "min", MinPasswordLen)
	case n > MaxPasswordLen:
		v.Add(field, "account.error.password_too_long", "max", MaxPasswordLen)
	case commonPasswords[strings.ToLower(password)] || allSameRune(password):
		v.Add(field, "account.error.password_common")
	default:
		lp := strings.ToLower(password)
		for _, r := range related {
			r = strings.ToLower(strings.TrimSpace(r))
			if r != "" && (lp == r || (len(r) >= 4 && strings.Contains(lp, r))) {
				v.Add(field, "account.error.password_personal")
				return
			}
		}
	}
}

func allSameRune(s string) bool {
	first, _ := utf8.DecodeRuneInString(s)
	for _, r := range s {
		if r != first {
			return false
		}
	}
	return true
}

// NewUser is what is needed to create an account.
type NewUser struct {
	Email     string
	Nickname  string
	Password  string
	Locale    string
	IsAdmin   bool
	Confirmed bool // created already confirmed (administrators from the CLI, demo accounts)
}

// CreateUser validates nu and stores the account. It returns an
// *kernel.InvalidError (fields "email", "nickname", "password") when input is
// wrong or the email/nickname is taken — taken is decided by the database's
// unique indexes, so two concurrent sign-ups cannot both win.
func (s *Service) CreateUser(ctx context.Context, nu NewUser) (User, error) {
	return s.createUser(ctx, nil, nu)
}

// CreateUserTx is CreateUser inside the caller's transaction (so a
// confirmation email can be queued atomically with the account).
func (s *Service) CreateUserTx(ctx context.Context, tx *sql.Tx, nu NewUser) (User, error) {
	return s.createUser(ctx, tx, nu)
}

func (s *Service) createUser(ctx context.Context, tx *sql.Tx, nu NewUser) (User, error) {
	u, hash, err := s.prepareUser(nu)
	if err != nil {
		return User{}, err
	}
	if tx != nil {
		err = insertUser(ctx, tx, &u, hash)
	} else {
		err = insertUser(ctx, s.db.W(), &u, hash)
	}
	return u, err
}

// prepareUser validates nu and hashes the password. It runs before any
// transaction opens: argon2id takes tens of milliseconds and SQLite has a
// single writer, which must not wait on it.
func (s *Service) prepareUser(nu NewUser) (User, string, error) {
	var v kernel.Validator
	validateNewUser(&v, nu)
	if err := v.Err(); err != nil {
		return User{}, "", err
	}
	if !kernel.ValidLocale(nu.Locale) {
		nu.Locale = kernel.LocaleIT
	}
	hash, err := s.opt.Hash.Hash(nu.Password)
	if err != nil {
		return User{}, "", err
	}
	now := s.clock.Now()
	u := User{Email: strings.TrimSpace(nu.Email), Nickname: strings.TrimSpace(nu.Nickname), Locale: nu.Locale, IsAdmin: nu.IsAdmin, CreatedAt: now}
	if nu.Confirmed {
		u.EmailConfirmedAt = sql.NullTime{Time: now, Valid: true}
	}
	return u, hash, nil
}

func validateNewUser(v *kernel.Validator, nu NewUser) {
	ValidateEmail(v, "email", nu.Email)
	ValidateNickname(v, "nickname", nu.Nickname)
	ValidatePassword(v, "password", nu.Password, emailLocalPart(nu.Email), nu.Nickname)
}

func emailLocalPart(email string) string {
	return email[:max(0, strings.IndexByte(email, '@'))]
}

func insertUser(ctx context.Context, q db.Querier, u *User, hash string) error {
	err := q.QueryRowContext(ctx, `INSERT INTO users (email, email_key, email_confirmed_at, password_hash, nickname, nickname_key, locale, is_admin, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) RETURNING id`,
		u.Email, NormalizeEmail(u.Email), u.EmailConfirmedAt, hash, u.Nickname, NicknameKey(u.Nickname), u.Locale, u.IsAdmin, u.CreatedAt).Scan(&u.ID)
	if err != nil {
		return uniqueToField(db.Normalize(err))
	}
	return nil
}

// uniqueToField turns a unique violation on users into a field error.
func uniqueToField(err error) error {
	switch {
	case db.IsConflictOn(err, "email_key"):
		return kernel.Invalid("email", "account.error.email_taken")
	case db.IsConflictOn(err, "nickname_key"):
		return kernel.Invalid("nickname", "account.error.nickname_taken")
	}
	return err
}

const userColumns = `id, COALESCE(email, ''), email_confirmed_at, COALESCE(nickname, ''), locale, is_admin, blocked_at, COALESCE(blocked_reason, ''), created_at, deleted_at, COALESCE(password_hash, '')`

func scanUser(row interface{ Scan(...any) error }) (User, error) {
	var u User
	err := row.Scan(&u.ID, &u.Email, &u.EmailConfirmedAt, &u.Nickname, &u.Locale, &u.IsAdmin, &u.BlockedAt, &u.BlockedReason, &u.CreatedAt, &u.DeletedAt, &u.passwordHash)
	return u, err
}

// UserByID returns a user (also deleted ones: their contributions stay).
func (s *Service) UserByID(ctx context.Context, id int64) (User, error) {
	u, err := scanUser(s.db.W().QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE id = $1`, id))
	if err != nil {
		return User{}, fmt.Errorf("identity: user %d: %w", id, db.Normalize(err))
	}
	return u, nil
}

// UserByEmail returns the live account with this email.
func (s *Service) UserByEmail(ctx context.Context, email string) (User, error) {
	u, err := scanUser(s.db.W().QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE email_key = $1 AND deleted_at IS NULL`, NormalizeEmail(email)))
	if err != nil {
		return User{}, fmt.Errorf("identity: user by email: %w", db.Normalize(err))
	}
	return u, nil
}

// UserByNickname returns the live account with this nickname (case-insensitive).
func (s *Service) UserByNickname(ctx context.Context, nick string) (User, error) {
	u, err := scanUser(s.db.R().QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE nickname_key = $1 AND deleted_at IS NULL`, NicknameKey(nick)))
	if err != nil {
		return User{}, fmt.Errorf("identity: user by nickname: %w", db.Normalize(err))
	}
	return u, nil
}

// CheckCredentials checks email and password. Unknown email, wrong password,
// deleted or blocked account all return the same invalid-input error on the
// form (no account enumeration); an unconfirmed email returns
// ErrEmailUnconfirmed so the page can offer to resend the link.
func (s *Service) CheckCredentials(ctx context.Context, email, password string) (User, error) {
	u, err := s.UserByEmail(ctx, email)
	if err != nil {
		_, _ = CheckPassword(dummyHash, password)
		if errors.Is(err, kernel.ErrNotFound) {
			return User{}, kernel.Invalid("email", "account.error.credentials")
		}
		return User{}, err
	}
	ok, err := CheckPassword(u.passwordHash, password)
	if err != nil || !ok {
		return User{}, kernel.Invalid("email", "account.error.credentials")
	}
	if u.BlockedAt.Valid {
		// Told only to whoever knows the password: the reason is the
		// participant's business, not a passer-by's.
		if u.BlockedReason == "" {
			return User{}, kernel.Invalid("email", "account.error.blocked_no_reason")
		}
		return User{}, kernel.Invalid("email", "account.error.blocked", "reason", u.BlockedReason)
	}
	if !u.Confirmed() {
		return u, ErrEmailUnconfirmed
	}
	return u, nil
}

// ErrEmailUnconfirmed is returned by CheckCredentials for a correct password
// on an account whose email was never confirmed.
var ErrEmailUnconfirmed = errors.New("identity: email not confirmed")

// NewToken returns a random URL-safe token and its storage hash.
func NewToken() (token, hash string, err error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", "", fmt.Errorf("identity: token: %w", err)
	}
	token = base64.RawURLEncoding.EncodeToString(b[:])
	return token, HashToken(token), nil
}

// HashToken is how tokens are stored: only a hash, so a database leak does
// not hand out sessions or reset links.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// SetLocale saves the participant's language.
func (s *Service) SetLocale(ctx context.Context, userID int64, locale string) error {
	if !kernel.ValidLocale(locale) {
		return kernel.Invalid("locale", "account.error.locale_invalid")
	}
	_, err := s.db.W().ExecContext(ctx, `UPDATE users SET locale = $1, updated_at = $2 WHERE id = $3`, locale, s.clock.Now(), userID)
	return err
}
