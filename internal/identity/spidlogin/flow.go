package spidlogin

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/arengo/arengo/internal/audit"
	"github.com/arengo/arengo/internal/db"
	"github.com/arengo/arengo/internal/identity"
	"github.com/arengo/arengo/internal/identity/verification"
	"github.com/arengo/arengo/internal/kernel"
	"github.com/arengo/arengo/internal/ratelimit"
	"github.com/arengo/arengo/internal/secure"
	"github.com/arengo/arengo/internal/web"
)

// PendingCookie holds the token of a strong login between the identity
// provider and the platform.
const PendingCookie = "arengo_strong_login"

// Flow is what every strong login (SPID, OpenID Connect, later CIE) does
// once the provider has vouched for a person. The provider's handler calls
// Arrive; the rest happens on the platform's own pages:
//
//	GET  /login/verified  signed in: link the identity to this account;
//	                      known person: sign in; newcomer: → /login/welcome
//	GET  /login/welcome   a newcomer chooses a nickname, a language and
//	POST /login/welcome   accepts the privacy notice; the account and the
//	                      link are created in one transaction
//
// The hop through /login/verified matters: the provider posts back
// cross-site, where the browser withholds the (SameSite=Lax) session
// cookie, so only a same-site navigation tells who is signed in.
type Flow struct {
	S      *web.Server
	DB     *db.DB
	Users  *identity.Service
	Verify *verification.Service
	Keys   *secure.Keyring
	Clock  kernel.Clock
	Rand   io.Reader
	Log    *slog.Logger
	// VerificationTTL is how long a strong login counts as a verification
	// (default one year): a participant who has not logged in with SPID for
	// longer must do it again before acting where SPID is required.
	VerificationTTL time.Duration
	// PendingTTL bounds the time between the provider and the nickname page
	// (default 30 minutes).
	PendingTTL time.Duration
	// Limiter bounds how often one address may start a strong login (nil:
	// no limit, for tests of other things). Every start stores a request
	// and, for SPID, signs it and writes it to the authentication log, so an
	// unbounded start is a cheap way to fill the database.
	Limiter *ratelimit.Limiter
	// StartLimit is that bound; zero: DefaultStartLimit.
	StartLimit ratelimit.Rule
}

// DefaultStartLimit is how many strong logins one address may start: far
// more than a family behind one router needs, far fewer than a flood.
func DefaultStartLimit() ratelimit.Rule { return ratelimit.Rule{Max: 30, Window: 10 * time.Minute} }

// AllowStart records one start of a strong login from this request's
// address. When the address is over the limit it answers 429 with the
// problem page and returns false; the caller then stops.
func (f *Flow) AllowStart(w http.ResponseWriter, r *http.Request) (bool, error) {
	if f.Limiter == nil {
		return true, nil
	}
	rule := f.StartLimit
	if rule.Max <= 0 || rule.Window <= 0 {
		rule = DefaultStartLimit()
	}
	err := f.Limiter.Allow(r.Context(), "strong-login:ip:"+f.S.ClientIP(r), rule)
	if errors.Is(err, kernel.ErrRateLimited) {
		w.Header().Set("Retry-After", strconv.Itoa(int(rule.Window.Seconds())))
		return false, f.problem(w, r, http.StatusTooManyRequests, "spidlogin.problem.rate_limited")
	}
	return err == nil, err
}

// SAMLSession is the IdP session behind a local session, kept for single logout.
type SAMLSession struct {
	IdPEntityID   string `json:"idp"`
	NameID        string `json:"name_id"`
	NameQualifier string `json:"name_qualifier"`
	SessionIndex  string `json:"session_index"`
}

// Arrival is a person a provider has just vouched for.
type Arrival struct {
	Method   verification.Method
	Level    string // e.g. verification.LevelSpidL2; "" for OIDC
	Provider string // IdP entity ID or OIDC issuer; recorded, never shown
	Person   verification.PersonalData
	SAML     *SAMLSession // nil unless the provider is a SAML IdP
	ReturnTo string       // local path to go back to
}

// pendingData is what the pending row holds, encrypted.
type pendingData struct {
	FiscalCode string       `json:"fc"`
	GivenName  string       `json:"gn"`
	FamilyName string       `json:"fn"`
	BirthDate  string       `json:"bd"`
	Email      string       `json:"em,omitempty"`
	SAML       *SAMLSession `json:"saml,omitempty"`
}

type pending struct {
	Method   verification.Method
	Level    string
	Provider string
	ReturnTo string
	Data     pendingData
}

func (p pending) person() verification.PersonalData {
	bd, _ := time.Parse(time.DateOnly, p.Data.BirthDate)
	return verification.PersonalData{FiscalCode: p.Data.FiscalCode, GivenName: p.Data.GivenName, FamilyName: p.Data.FamilyName, BirthDate: bd, Email: p.Data.Email}
}

func (f *Flow) verificationTTL() time.Duration {
	if f.VerificationTTL > 0 {
		return f.VerificationTTL
	}
	return 365 * 24 * time.Hour
}

func (f *Flow) pendingTTL() time.Duration {
	if f.PendingTTL > 0 {
		return f.PendingTTL
	}
	return 30 * time.Minute
}

// Routes registers the flow's pages.
func (f *Flow) Routes() {
	f.S.Handle("GET /login/verified", f.verified)
	f.S.Handle("GET /login/welcome", f.welcomeForm)
	f.S.Handle("POST /login/welcome", f.welcome)
}

// Arrive keeps what the provider said (encrypted, server-side), gives the
// browser the key to it, and sends it to /login/verified.
func (f *Flow) Arrive(w http.ResponseWriter, r *http.Request, a Arrival) error {
	token, hash, err := f.newToken()
	if err != nil {
		return err
	}
	data := pendingData{
		FiscalCode: strings.ToUpper(strings.TrimSpace(a.Person.FiscalCode)), GivenName: a.Person.GivenName, FamilyName: a.Person.FamilyName,
		Email: strings.TrimSpace(a.Person.Email), SAML: a.SAML,
	}
	if !a.Person.BirthDate.IsZero() {
		data.BirthDate = a.Person.BirthDate.Format(time.DateOnly)
	}
	plain, err := json.Marshal(data)
	if err != nil {
		return fmt.Errorf("spidlogin: pending: %w", err)
	}
	enc, err := f.Keys.Seal(plain, []byte(pendingAAD(hash)))
	if err != nil {
		return fmt.Errorf("spidlogin: pending: %w", err)
	}
	now := f.Clock.Now()
	returnTo := web.SafeNext(a.ReturnTo, "")
	if _, err := f.DB.W().ExecContext(r.Context(), `INSERT INTO strong_login_pending (token_hash, method, level, provider, data_enc, return_to, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, hash, string(a.Method), a.Level, a.Provider, enc, returnTo, now, now.Add(f.pendingTTL())); err != nil {
		return fmt.Errorf("spidlogin: save pending login: %w", err)
	}
	f.S.SetCookie(w, PendingCookie, token, f.pendingTTL())
	http.Redirect(w, r, "/login/verified", http.StatusSeeOther)
	return nil
}

func pendingAAD(hash string) string { return "strong_login_pending:" + hash }

func (f *Flow) newToken() (token, hash string, err error) {
	rnd := f.Rand
	if rnd == nil {
		rnd = rand.Reader
	}
	var b [32]byte
	if _, err := io.ReadFull(rnd, b[:]); err != nil {
		return "", "", fmt.Errorf("spidlogin: token: %w", err)
	}
	token = base64.RawURLEncoding.EncodeToString(b[:])
	return token, identity.HashToken(token), nil
}

// errPendingGone: no pending login for this browser (expired, used, or the
// cookie is missing).
var errPendingGone = errors.New("spidlogin: no pending login")

func pendingHash(r *http.Request) (string, bool) {
	c, err := r.Cookie(PendingCookie)
	if err != nil || c.Value == "" || len(c.Value) > 100 {
		return "", false
	}
	return identity.HashToken(c.Value), true
}

const pendingColumns = `method, level, provider, data_enc, return_to, expires_at`

func (f *Flow) scanPending(row *sql.Row, hash string) (pending, error) {
	var p pending
	var method string
	var enc []byte
	var expires time.Time
	err := row.Scan(&method, &p.Level, &p.Provider, &enc, &p.ReturnTo, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return pending{}, errPendingGone
	}
	if err != nil {
		return pending{}, fmt.Errorf("spidlogin: pending login: %w", err)
	}
	if !f.Clock.Now().Before(expires) {
		return pending{}, errPendingGone
	}
	plain, err := f.Keys.Open(enc, []byte(pendingAAD(hash)))
	if err != nil {
		return pending{}, fmt.Errorf("spidlogin: pending login: %w", err)
	}
	if err := json.Unmarshal(plain, &p.Data); err != nil {
		return pending{}, fmt.Errorf("spidlogin: pending login: %w", err)
	}
	p.Method = verification.Method(method)
	return p, nil
}

// peek reads the browser's pending login without using it up.
func (f *Flow) peek(ctx context.Context, r *http.Request) (pending, string, error) {
	hash, ok := pendingHash(r)
	if !ok {
		return pending{}, "", errPendingGone
	}
	p, err := f.scanPending(f.DB.W().QueryRowContext(ctx, `SELECT `+pendingColumns+` FROM strong_login_pending WHERE token_hash = $1`, hash), hash)
	return p, hash, err
}

// consume takes the pending login: of two tabs racing, one gets it.
func (f *Flow) consume(ctx context.Context, q db.Querier, hash string) (pending, error) {
	return f.scanPending(q.QueryRowContext(ctx, `DELETE FROM strong_login_pending WHERE token_hash = $1 RETURNING `+pendingColumns, hash), hash)
}

// Sweep deletes abandoned pending logins.
func (f *Flow) Sweep(ctx context.Context) error {
	_, err := f.DB.W().ExecContext(ctx, `DELETE FROM strong_login_pending WHERE expires_at < $1`, f.Clock.Now())
	return err
}

func (f *Flow) newVerification(p pending) verification.NewVerification {
	details := map[string]string{}
	if p.Provider != "" {
		details["provider"] = p.Provider
	}
	return verification.NewVerification{Method: p.Method, Level: p.Level, ExpiresAt: f.Clock.Now().Add(f.verificationTTL()), Details: details}
}

// verified decides what the strong login means for this browser.
func (f *Flow) verified(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	p, hash, err := f.peek(ctx, r)
	if errors.Is(err, errPendingGone) {
		return f.problem(w, r, http.StatusBadRequest, "spidlogin.problem.expired")
	}
	if err != nil {
		return err
	}
	viewer := web.ViewerFrom(ctx)
	var userID int64
	if viewer == nil {
		userID, err = f.Verify.FindUserByFiscalCode(ctx, p.Data.FiscalCode)
		if errors.Is(err, kernel.ErrNotFound) {
			return web.Redirect(w, r, "/login/welcome")
		}
		if err != nil {
			return err
		}
	}
	if p, err = f.consume(ctx, f.DB.W(), hash); errors.Is(err, errPendingGone) {
		return f.problem(w, r, http.StatusBadRequest, "spidlogin.problem.expired")
	} else if err != nil {
		return err
	}
	f.S.ClearCookie(w, PendingCookie)
	if viewer != nil {
		return f.link(w, r, viewer.ID, p)
	}
	return f.signIn(w, r, userID, p, "spidlogin.flash.logged_in")
}

// link attaches the verified identity to the signed-in account.
func (f *Flow) link(w http.ResponseWriter, r *http.Request, userID int64, p pending) error {
	ctx := r.Context()
	_, recheckErr, err := f.Verify.VerifyWithLogin(ctx, userID, p.person(), f.newVerification(p))
	if err != nil {
		return f.verifyProblem(w, r, err)
	}
	f.logRecheck(ctx, userID, recheckErr)
	if p.Data.SAML != nil {
		if token := web.SessionTokenFrom(ctx); token != "" {
			if err := saveSAMLSession(ctx, f.DB.W(), identity.HashToken(token), *p.Data.SAML, f.Clock.Now()); err != nil {
				return err
			}
		}
	}
	f.S.SetFlash(w, "spidlogin.flash.linked")
	return web.Redirect(w, r, web.SafeNext(p.ReturnTo, "/account"))
}

// signIn opens a session for a known person.
func (f *Flow) signIn(w http.ResponseWriter, r *http.Request, userID int64, p pending, flash string) error {
	ctx := r.Context()
	u, err := f.Users.UserByID(ctx, userID)
	if err != nil {
		return err
	}
	if u.Deleted() {
		return f.problem(w, r, http.StatusForbidden, "spidlogin.problem.deleted")
	}
	if u.BlockedAt.Valid {
		return f.problem(w, r, http.StatusForbidden, "spidlogin.problem.blocked")
	}
	_, recheckErr, err := f.Verify.VerifyWithLogin(ctx, userID, p.person(), f.newVerification(p))
	if err != nil {
		return f.verifyProblem(w, r, err)
	}
	f.logRecheck(ctx, userID, recheckErr)
	if err := f.startSession(w, r, userID, p.Data.SAML); err != nil {
		return err
	}
	f.S.SetFlash(w, flash)
	return web.Redirect(w, r, web.SafeNext(p.ReturnTo, "/"))
}

func (f *Flow) logRecheck(ctx context.Context, userID int64, err error) {
	if err != nil && f.Log != nil {
		// Residence stays as last known; the login itself succeeded.
		f.Log.WarnContext(ctx, "census recheck failed", "user_id", userID, "err", err)
	}
}

// verifyProblem explains a refused link in plain words.
func (f *Flow) verifyProblem(w http.ResponseWriter, r *http.Request, err error) error {
	switch {
	case errors.Is(err, verification.ErrIdentityTaken):
		return f.problem(w, r, http.StatusConflict, "spidlogin.problem.identity_taken")
	case errors.Is(err, verification.ErrIdentityMismatch):
		return f.problem(w, r, http.StatusConflict, "spidlogin.problem.identity_mismatch")
	}
	if _, ok := kernel.AsInvalid(err); ok {
		// The provider sent data we cannot accept (e.g. a malformed codice fiscale).
		return f.problem(w, r, http.StatusBadRequest, "spidlogin.problem.bad_data")
	}
	return err
}

// startSession signs the browser in with a fresh token (any session it
// carried is dropped: no fixation) and remembers the IdP session.
func (f *Flow) startSession(w http.ResponseWriter, r *http.Request, userID int64, saml *SAMLSession) error {
	ctx := r.Context()
	if c, err := r.Cookie(web.SessionCookie); err == nil && c.Value != "" {
		if err := f.Users.DeleteSession(ctx, c.Value); err != nil {
			return err
		}
	}
	token, err := f.Users.CreateSession(ctx, userID, r.UserAgent())
	if err != nil {
		return err
	}
	if saml != nil {
		if err := saveSAMLSession(ctx, f.DB.W(), identity.HashToken(token), *saml, f.Clock.Now()); err != nil {
			_ = f.Users.DeleteSession(ctx, token)
			return err
		}
	}
	f.S.SetCookie(w, web.SessionCookie, token, f.Users.SessionMax())
	return nil
}

// welcomeView is what welcome.html shows.
type welcomeView struct {
	GivenName string
	Languages []web.Option
}

func (f *Flow) languages(locale string) []web.Option {
	opts := make([]web.Option, 0, len(kernel.Locales))
	for _, l := range kernel.Locales {
		opts = append(opts, web.Option{Value: l, Label: f.S.Catalog().T(locale, "account.language."+l)})
	}
	return opts
}

func (f *Flow) welcomeForm(w http.ResponseWriter, r *http.Request) error {
	p, _, err := f.peek(r.Context(), r)
	if errors.Is(err, errPendingGone) {
		return f.problem(w, r, http.StatusBadRequest, "spidlogin.problem.expired")
	}
	if err != nil {
		return err
	}
	if web.ViewerFrom(r.Context()) != nil {
		return web.Redirect(w, r, "/login/verified")
	}
	locale := web.LocaleFrom(r.Context())
	form := web.NewForm(map[string]string{"locale": locale})
	return f.S.RenderForm(w, r, "spidlogin/welcome.html", welcomeView{GivenName: p.Data.GivenName, Languages: f.languages(locale)}, form)
}

// errEmailTaken makes the account transaction retry without the address.
var errEmailTaken = errors.New("spidlogin: email taken")

// welcome creates the newcomer's account: user, identity link,
// verification and audit entry commit together or not at all, and the
// pending login is used up in the same transaction.
func (f *Flow) welcome(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	form, err := web.ParseForm(r)
	if err != nil {
		return err
	}
	p, hash, err := f.peek(ctx, r)
	if errors.Is(err, errPendingGone) {
		return f.problem(w, r, http.StatusBadRequest, "spidlogin.problem.expired")
	}
	if err != nil {
		return err
	}
	locale := web.LocaleFrom(ctx)
	view := welcomeView{GivenName: p.Data.GivenName, Languages: f.languages(locale)}
	nickname, lang := form.Get("nickname"), form.Get("locale")
	var v kernel.Validator
	identity.ValidateNickname(&v, "nickname", nickname)
	v.Check(kernel.ValidLocale(lang), "locale", "account.error.locale_invalid")
	v.Check(form.Checked("privacy"), "privacy", "spidlogin.welcome.error.privacy")
	err = v.Err()
	var userID int64
	if err == nil {
		userID, err = f.createAccount(ctx, hash, nickname, lang, true)
		if errors.Is(err, errEmailTaken) {
			// Someone already uses the address the IdP gave: the account
			// starts without one; the person may add theirs later.
			userID, err = f.createAccount(ctx, hash, nickname, lang, false)
		}
	}
	if ie, ok := kernel.AsInvalid(err); ok && !onlyFields(ie, "nickname", "locale", "privacy") {
		return f.verifyProblem(w, r, err)
	}
	if f.S.Fail(r, form, err) {
		return f.S.RenderForm(w, r, "spidlogin/welcome.html", view, form)
	}
	switch {
	case errors.Is(err, errPendingGone):
		return f.problem(w, r, http.StatusBadRequest, "spidlogin.problem.expired")
	case errors.Is(err, verification.ErrIdentityTaken):
		// The same person finished a first login in another tab or browser a
		// moment ago: that account is theirs, so sign in to it.
		existing, ferr := f.Verify.FindUserByFiscalCode(ctx, p.Data.FiscalCode)
		if ferr != nil {
			return ferr
		}
		if p, err = f.consume(ctx, f.DB.W(), hash); err != nil {
			if errors.Is(err, errPendingGone) {
				return f.problem(w, r, http.StatusBadRequest, "spidlogin.problem.expired")
			}
			return err
		}
		f.S.ClearCookie(w, PendingCookie)
		return f.signIn(w, r, existing, p, "spidlogin.flash.existing_account")
	case err != nil:
		if key := verification.ReasonKey(err); key != "" {
			return f.verifyProblem(w, r, err)
		}
		return err
	}
	f.S.ClearCookie(w, PendingCookie)
	if _, err := f.Verify.Recheck(ctx, userID); err != nil {
		f.logRecheck(ctx, userID, err)
	}
	if err := f.startSession(w, r, userID, p.Data.SAML); err != nil {
		return err
	}
	f.S.SetFlash(w, "spidlogin.flash.welcome")
	return web.Redirect(w, r, web.SafeNext(p.ReturnTo, "/"))
}

func (f *Flow) createAccount(ctx context.Context, hash, nickname, locale string, withEmail bool) (int64, error) {
	var userID int64
	err := f.DB.Tx(ctx, func(tx *sql.Tx) error {
		p, err := f.consume(ctx, tx, hash)
		if err != nil {
			return err
		}
		email := ""
		if withEmail {
			email = p.Data.Email
		}
		if userID, err = insertStrongUser(ctx, tx, nickname, locale, email, f.Clock.Now()); err != nil {
			return err
		}
		if _, err := f.Verify.LinkIdentityTx(ctx, tx, userID, p.person()); err != nil {
			return err
		}
		if _, err := f.Verify.RecordTx(ctx, tx, userID, f.newVerification(p)); err != nil {
			return err
		}
		return audit.Record(ctx, tx, f.Clock.Now(), audit.Entry{
			Action: "user.register_strong", TargetType: "user", TargetID: userID,
			After: map[string]any{"method": string(p.Method), "level": p.Level, "privacy_accepted": true, "with_email": email != ""},
		})
	})
	return userID, err
}

// insertStrongUser creates an account with no password: its owner signs in
// through the identity provider. The address, when the provider gave one,
// counts as confirmed.
func insertStrongUser(ctx context.Context, tx *sql.Tx, nickname, locale, email string, now time.Time) (int64, error) {
	var emailArg, keyArg, confirmed any
	if email != "" {
		emailArg, keyArg, confirmed = email, identity.NormalizeEmail(email), now
	}
	nickname = strings.TrimSpace(nickname)
	var id int64
	err := tx.QueryRowContext(ctx, `INSERT INTO users (email, email_key, email_confirmed_at, password_hash, nickname, nickname_key, locale, is_admin, created_at, updated_at)
		VALUES ($1, $2, $3, NULL, $4, $5, $6, $7, $8, $8) RETURNING id`,
		emailArg, keyArg, confirmed, nickname, identity.NicknameKey(nickname), locale, false, now).Scan(&id)
	if err != nil {
		err = db.Normalize(err)
		switch {
		case db.IsConflictOn(err, "nickname_key"):
			return 0, kernel.Invalid("nickname", "account.error.nickname_taken")
		case db.IsConflictOn(err, "email_key"):
			return 0, errEmailTaken
		}
		return 0, fmt.Errorf("spidlogin: create account: %w", err)
	}
	return id, nil
}

// onlyFields reports whether every error of ie is on one of the form's
// fields (anything else came from the provider's data).
func onlyFields(ie *kernel.InvalidError, fields ...string) bool {
	for _, fe := range ie.Fields {
		found := false
		for _, f := range fields {
			found = found || fe.Field == f
		}
		if !found {
			return false
		}
	}
	return true
}

// problemView is what problem.html shows.
type problemView struct {
	MessageKey string
	Retry      bool
}

// Problem renders a failed strong login: the message key in plain words,
// with a way to try again when the failure is not ours.
func (f *Flow) Problem(w http.ResponseWriter, r *http.Request, status int, key string) error {
	return f.problem(w, r, status, key)
}

func (f *Flow) problem(w http.ResponseWriter, r *http.Request, status int, key string) error {
	return f.S.RenderStatus(w, r, status, "spidlogin/problem.html", problemView{MessageKey: key, Retry: status < 500})
}
