// Package cityuser lets people who work, study or live in the city without
// being residents ask to take part as "city users": they self-certify, staff
// approve or reject the request with a reason, the person is told by email
// in their language, and an approval lasts a configurable time (a year by
// default) with a reminder before it expires.
package cityuser

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/arengo/arengo/internal/audit"
	"github.com/arengo/arengo/internal/db"
	"github.com/arengo/arengo/internal/i18n"
	"github.com/arengo/arengo/internal/kernel"
	"github.com/arengo/arengo/internal/mail"
)

// Reason is why a non-resident takes part.
type Reason string

// The reasons.
const (
	ReasonWork  Reason = "work"
	ReasonStudy Reason = "study"
	ReasonLive  Reason = "live" // lives in the city without registered residence
)

// Reasons lists them in form order.
var Reasons = []Reason{ReasonWork, ReasonStudy, ReasonLive}

// Valid reports whether r is a known reason.
func (r Reason) Valid() bool { return r == ReasonWork || r == ReasonStudy || r == ReasonLive }

// Status of a request.
type Status string

// The statuses.
const (
	StatusPending  Status = "pending"
	StatusApproved Status = "approved"
	StatusRejected Status = "rejected"
)

// Limits.
const (
	MaxDetailsLen  = 1000
	MaxDecisionLen = 1000
)

// DefaultValidity is how long an approval lasts unless configured.
const DefaultValidity = 365 * 24 * time.Hour

// Request is one self-certification.
type Request struct {
	ID             int64
	UserID         int64
	Nickname       string
	Reason         Reason
	Details        string
	TerritoryID    int64 // 0: the whole Comune
	TerritoryName  kernel.Text
	Status         Status
	CreatedAt      time.Time
	DecidedBy      int64
	DecidedAt      time.Time
	DecisionReason string
	ExpiresAt      time.Time
	RemindedAt     time.Time
}

// Active reports whether r is an approval in force at now.
func (r Request) Active(now time.Time) bool {
	return r.Status == StatusApproved && now.Before(r.ExpiresAt)
}

// Expired reports whether r is an approval that has run out at now.
func (r Request) Expired(now time.Time) bool {
	return r.Status == StatusApproved && !now.Before(r.ExpiresAt)
}

// Territory is a choice for the request form.
type Territory struct {
	ID   int64
	Name kernel.Text
	Kind string
}

// Options configure the service.
type Options struct {
	Validity time.Duration // approval length; default DefaultValidity
	BaseURL  string        // for links in emails
	OrgName  string
}

// Service holds the use cases.
type Service struct {
	db    *db.DB
	clock kernel.Clock
	cat   *i18n.Catalog
	opt   Options
}

// NewService returns the service.
func NewService(d *db.DB, clock kernel.Clock, cat *i18n.Catalog, opt Options) *Service {
	if opt.Validity <= 0 {
		opt.Validity = DefaultValidity
	}
	return &Service{db: d, clock: clock, cat: cat, opt: opt}
}

// Validity is how long an approval lasts.
func (s *Service) Validity() time.Duration { return s.opt.Validity }

// Input is what the person submits.
type Input struct {
	Reason      Reason
	Details     string
	TerritoryID int64
}

// Submit stores userID's request. Invalid input is a *kernel.InvalidError
// (fields reason, details, territory); a second pending request is refused
// by a unique index, reported on the form as a general error.
func (s *Service) Submit(ctx context.Context, userID int64, in Input) (Request, error) {
	var v kernel.Validator
	v.Check(in.Reason.Valid(), "reason", "cityuser.error.reason")
	details := strings.TrimSpace(in.Details)
	switch {
	case details == "":
		v.Add("details", "cityuser.error.details_required")
	case utf8.RuneCountInString(details) > MaxDetailsLen:
		v.Add("details", "cityuser.error.details_too_long", "max", MaxDetailsLen)
	}
	var name kernel.Text
	if in.TerritoryID != 0 {
		err := s.db.R().QueryRowContext(ctx, `SELECT name FROM territories WHERE id = $1`, in.TerritoryID).Scan(&name)
		if errors.Is(err, sql.ErrNoRows) {
			v.Add("territory", "cityuser.error.territory")
		} else if err != nil {
			return Request{}, fmt.Errorf("cityuser: territory: %w", err)
		}
	}
	if err := v.Err(); err != nil {
		return Request{}, err
	}
	now := s.clock.Now()
	r := Request{UserID: userID, Reason: in.Reason, Details: details, TerritoryID: in.TerritoryID, TerritoryName: name, Status: StatusPending, CreatedAt: now}
	err := s.db.W().QueryRowContext(ctx, `INSERT INTO city_user_requests (user_id, reason, details, territory_id, status, created_at)
		VALUES ($1, $2, $3, $4, 'pending', $5) RETURNING id`, userID, string(in.Reason), details, nullID(in.TerritoryID), now).Scan(&r.ID)
	if err != nil {
		err = db.Normalize(err)
		if db.IsConflictOn(err, "city_user_requests_one_pending", "city_user_requests.user_id") {
			return Request{}, kernel.Invalid("", "cityuser.error.pending_exists")
		}
		return Request{}, fmt.Errorf("cityuser: submit: %w", err)
	}
	return r, nil
}

const requestColumns = `r.id, r.user_id, COALESCE(u.nickname, ''), r.reason, r.details, COALESCE(r.territory_id, 0), COALESCE(t.name, '{}'), r.status,
	r.created_at, COALESCE(r.decided_by, 0), r.decided_at, r.decision_reason, r.expires_at, r.reminded_at`

const requestFrom = ` FROM city_user_requests r JOIN users u ON u.id = r.user_id LEFT JOIN territories t ON t.id = r.territory_id `

func scanRequest(row interface{ Scan(...any) error }) (Request, error) {
	var r Request
	var decided, expires, reminded sql.NullTime
	err := row.Scan(&r.ID, &r.UserID, &r.Nickname, &r.Reason, &r.Details, &r.TerritoryID, &r.TerritoryName, &r.Status,
		&r.CreatedAt, &r.DecidedBy, &decided, &r.DecisionReason, &expires, &reminded)
	r.DecidedAt, r.ExpiresAt, r.RemindedAt = decided.Time, expires.Time, reminded.Time
	return r, err
}

// Get returns request id, or kernel.ErrNotFound.
func (s *Service) Get(ctx context.Context, id int64) (Request, error) {
	r, err := scanRequest(s.db.R().QueryRowContext(ctx, `SELECT `+requestColumns+requestFrom+`WHERE r.id = $1`, id))
	if err != nil {
		return Request{}, fmt.Errorf("cityuser: get %d: %w", id, db.Normalize(err))
	}
	return r, nil
}

// History returns userID's requests, newest first.
func (s *Service) History(ctx context.Context, userID int64) ([]Request, error) {
	return s.list(ctx, `WHERE r.user_id = $1 ORDER BY r.id DESC`, userID)
}

// Pending returns the queue, oldest first.
func (s *Service) Pending(ctx context.Context) ([]Request, error) {
	return s.list(ctx, `WHERE r.status = 'pending' ORDER BY r.created_at, r.id LIMIT 500`)
}

func (s *Service) list(ctx context.Context, where string, args ...any) ([]Request, error) {
	rows, err := s.db.R().QueryContext(ctx, `SELECT `+requestColumns+requestFrom+where, args...)
	if err != nil {
		return nil, fmt.Errorf("cityuser: list: %w", err)
	}
	defer rows.Close()
	var out []Request
	for rows.Next() {
		r, err := scanRequest(rows)
		if err != nil {
			return nil, fmt.Errorf("cityuser: list: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// Territories lists the territories a request may name.
func (s *Service) Territories(ctx context.Context) ([]Territory, error) {
	rows, err := s.db.R().QueryContext(ctx, `SELECT id, name, kind FROM territories ORDER BY position, id`)
	if err != nil {
		return nil, fmt.Errorf("cityuser: territories: %w", err)
	}
	defer rows.Close()
	var out []Territory
	for rows.Next() {
		var t Territory
		if err := rows.Scan(&t.ID, &t.Name, &t.Kind); err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// Decide approves or rejects a pending request on behalf of staffID, in
// one transaction with its audit entry and the email to the person. A
// rejection needs a reason (field "decision_reason"); a request already
// decided is a general form error; staff cannot decide their own request
// (kernel.ErrForbidden).
func (s *Service) Decide(ctx context.Context, staffID, id int64, approve bool, reason string) (Request, error) {
	reason = strings.TrimSpace(reason)
	var v kernel.Validator
	switch {
	case !approve && reason == "":
		v.Add("decision_reason", "cityuser.error.decision_reason_required")
	case utf8.RuneCountInString(reason) > MaxDecisionLen:
		v.Add("decision_reason", "cityuser.error.decision_reason_too_long", "max", MaxDecisionLen)
	}
	if err := v.Err(); err != nil {
		return Request{}, err
	}
	before, err := s.Get(ctx, id)
	if err != nil {
		return Request{}, err
	}
	if before.UserID == staffID {
		return Request{}, fmt.Errorf("cityuser: staff cannot decide their own request: %w", kernel.ErrForbidden)
	}
	now := s.clock.Now()
	after := before
	after.Status, after.DecidedBy, after.DecidedAt, after.DecisionReason = StatusRejected, staffID, now, reason
	if approve {
		after.Status, after.ExpiresAt = StatusApproved, now.Add(s.opt.Validity)
	}
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE city_user_requests SET status = $1, decided_by = $2, decided_at = $3, decision_reason = $4, expires_at = $5
			WHERE id = $6 AND status = 'pending'`, string(after.Status), staffID, now, reason, nullTime(after.ExpiresAt), id)
		if err != nil {
			return fmt.Errorf("cityuser: decide: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return kernel.Invalid("", "cityuser.error.already_decided")
		}
		if err := audit.Record(ctx, tx, now, audit.Entry{
			Action: "cityuser." + map[bool]string{true: "approve", false: "reject"}[approve], TargetType: "city_user_request", TargetID: id,
			Before: map[string]any{"status": before.Status},
			After:  map[string]any{"status": after.Status, "decision_reason": reason, "expires_at": nullTime(after.ExpiresAt), "user_id": before.UserID},
		}); err != nil {
			return err
		}
		return s.notify(ctx, tx, before.UserID, now, func(locale string) (string, string) {
			if approve {
				return s.cat.T(locale, "cityuser.mail.approved.subject", "org", s.opt.OrgName),
					s.cat.T(locale, "cityuser.mail.approved.body", "org", s.opt.OrgName, "date", formatDate(locale, after.ExpiresAt), "reason", orDash(reason), "url", s.opt.BaseURL+"/account/city-user")
			}
			return s.cat.T(locale, "cityuser.mail.rejected.subject", "org", s.opt.OrgName),
				s.cat.T(locale, "cityuser.mail.rejected.body", "org", s.opt.OrgName, "reason", reason, "url", s.opt.BaseURL+"/account/city-user")
		})
	})
	if err != nil {
		return Request{}, err
	}
	return after, nil
}

// notify queues an email to userID in their language, if they still have an
// address (a deleted account has none).
func (s *Service) notify(ctx context.Context, tx *sql.Tx, userID int64, now time.Time, compose func(locale string) (subject, body string)) error {
	var email, locale string
	err := tx.QueryRowContext(ctx, `SELECT COALESCE(email, ''), locale FROM users WHERE id = $1 AND deleted_at IS NULL`, userID).Scan(&email, &locale)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && email == "") {
		return nil
	}
	if err != nil {
		return fmt.Errorf("cityuser: recipient: %w", err)
	}
	if !kernel.ValidLocale(locale) {
		locale = kernel.LocaleIT
	}
	subject, body := compose(locale)
	return mail.Enqueue(ctx, tx, now, mail.Message{To: email, Locale: locale, Subject: subject, Body: body})
}

// RemindExpiring emails, once, everyone whose approval expires within the
// given time and who has not already asked for a renewal; it returns how
// many were reminded. Each reminder is claimed by setting reminded_at in
// the transaction that queues the email, so two instances running the job
// together remind nobody twice.
func (s *Service) RemindExpiring(ctx context.Context, within time.Duration) (int, error) {
	now := s.clock.Now()
	rows, err := s.db.R().QueryContext(ctx, `SELECT r.id, r.user_id, r.expires_at FROM city_user_requests r
		WHERE r.status = 'approved' AND r.reminded_at IS NULL AND r.expires_at > $1 AND r.expires_at <= $2
		AND NOT EXISTS (SELECT 1 FROM city_user_requests n WHERE n.user_id = r.user_id AND n.id > r.id AND n.status IN ('pending', 'approved'))
		ORDER BY r.expires_at LIMIT 1000`, now, now.Add(within))
	if err != nil {
		return 0, fmt.Errorf("cityuser: expiring: %w", err)
	}
	type due struct {
		id, user int64
		expires  time.Time
	}
	var list []due
	for rows.Next() {
		var d due
		if err := rows.Scan(&d.id, &d.user, &d.expires); err != nil {
			rows.Close()
			return 0, err
		}
		list = append(list, d)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	n := 0
	for _, d := range list {
		sent := false
		err := s.db.Tx(ctx, func(tx *sql.Tx) error {
			res, err := tx.ExecContext(ctx, `UPDATE city_user_requests SET reminded_at = $1 WHERE id = $2 AND reminded_at IS NULL`, now, d.id)
			if err != nil {
				return err
			}
			if k, _ := res.RowsAffected(); k == 0 {
				return nil // another instance got there first
			}
			sent = true
			return s.notify(ctx, tx, d.user, now, func(locale string) (string, string) {
				return s.cat.T(locale, "cityuser.mail.expiring.subject", "org", s.opt.OrgName),
					s.cat.T(locale, "cityuser.mail.expiring.body", "org", s.opt.OrgName, "date", formatDate(locale, d.expires), "url", s.opt.BaseURL+"/account/city-user")
			})
		})
		if err != nil {
			return n, fmt.Errorf("cityuser: remind %d: %w", d.id, err)
		}
		if sent {
			n++
		}
	}
	return n, nil
}

var rome = func() *time.Location {
	loc, err := time.LoadLocation("Europe/Rome")
	if err != nil {
		return time.FixedZone("CET", 3600)
	}
	return loc
}()

func formatDate(locale string, t time.Time) string {
	t = t.In(rome)
	return fmt.Sprintf("%d %s %d", t.Day(), i18n.MonthName(locale, int(t.Month())), t.Year())
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t
}

// Erase removes userID's requests — the self-certification text and the
// staff's reasons included — inside the account deletion's transaction
// (see identity.Service.OnErase).
func (s *Service) Erase(ctx context.Context, tx *sql.Tx, userID int64) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM city_user_requests WHERE user_id = $1`, userID); err != nil {
		return fmt.Errorf("cityuser: erase %d: %w", userID, err)
	}
	return nil
}

// Status is userID's city-user standing for their account page: the
// approval in force (until is zero when none) and whether a request waits.
func (s *Service) Status(ctx context.Context, userID int64) (until time.Time, territory kernel.Text, pending bool, err error) {
	hist, err := s.History(ctx, userID)
	if err != nil {
		return time.Time{}, nil, false, err
	}
	now := s.clock.Now()
	for _, r := range hist {
		if r.Status == StatusPending {
			pending = true
		}
		if r.Active(now) && r.ExpiresAt.After(until) {
			until, territory = r.ExpiresAt, r.TerritoryName
		}
	}
	return until, territory, pending, nil
}
