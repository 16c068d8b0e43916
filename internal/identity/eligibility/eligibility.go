package eligibility

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/arengo/arengo/internal/db"
	"github.com/arengo/arengo/internal/i18n"
	"github.com/arengo/arengo/internal/identity/verification"
	"github.com/arengo/arengo/internal/kernel"
)

// Territory is where a space's actions apply.
type Territory struct {
	ID   int64       // territories.id; 0 for the whole Comune when no row exists
	Kind string      // "comune" or "municipio"
	Code string      // census code of a Municipio ("5"), matched against residents' Municipio
	Name kernel.Text // for messages
}

// Comune is the whole municipality, for spaces without a territory.
var Comune = Territory{Kind: "comune"}

// LoadTerritory reads a territory row. A nil or zero id is the Comune.
func LoadTerritory(ctx context.Context, q db.Querier, id int64) (Territory, error) {
	if id == 0 {
		return Comune, nil
	}
	t := Territory{ID: id}
	err := q.QueryRowContext(ctx, `SELECT kind, census_code, name FROM territories WHERE id = $1`, id).Scan(&t.Kind, &t.Code, &t.Name)
	if err != nil {
		return Territory{}, fmt.Errorf("eligibility: territory %d: %w", id, db.Normalize(err))
	}
	return t, nil
}

// Result is the answer: OK, or why not (ReasonKey and Args for the
// catalog) and where to go about it (HelpURL, may be empty).
type Result struct {
	OK        bool
	ReasonKey string
	Args      []any // name/value pairs; values of type MessageKey are translated too
	HelpURL   string
}

// MessageKey is an argument that is itself a message key (e.g. the verb of
// the action: "firmare").
type MessageKey string

// Text renders the reason in locale.
func (r Result) Text(cat *i18n.Catalog, locale string) string {
	if r.OK {
		return ""
	}
	args := make([]any, len(r.Args))
	copy(args, r.Args)
	for i := 1; i < len(args); i += 2 {
		switch v := args[i].(type) {
		case MessageKey:
			args[i] = cat.T(locale, string(v))
		case kernel.Text:
			args[i] = v.In(locale)
		case time.Time:
			args[i] = formatDate(locale, v)
		}
	}
	return cat.T(locale, r.ReasonKey, args...)
}

func formatDate(locale string, t time.Time) string {
	t = t.In(rome)
	return fmt.Sprintf("%d %s %d", t.Day(), i18n.MonthName(locale, int(t.Month())), t.Year())
}

// Help URLs.
const (
	HelpLogin    = "/login"
	HelpCityUser = "/account/city-user"
)

// Evaluator checks requirements against what the platform knows of a person.
type Evaluator struct {
	db    *db.DB
	verif *verification.Service
	clock kernel.Clock
	// VerbKey maps an action name to the message key of its verb (for
	// "you can read and comment but not sign"); default "eligibility.verb."+action.
	VerbKey func(action string) string
	// MinAge is the participation age of actions nobody configured
	// (ARENGO_MIN_AGE); 0 means DefaultMinAge. Set it while wiring.
	MinAge int
	cat    *i18n.Catalog
}

// ParticipationAge is the configured minimum age (DefaultMinAge unless set).
func (e *Evaluator) ParticipationAge() int {
	if e.MinAge > 0 {
		return e.MinAge
	}
	return DefaultMinAge
}

// DefaultFor is the requirement of action when administrators chose none.
func (e *Evaluator) DefaultFor(action string) Requirement {
	return DefaultFor(action, e.ParticipationAge())
}

// New returns an evaluator. cat (may be nil) is used to know which actions
// have a verb in the catalog.
func New(d *db.DB, verif *verification.Service, clock kernel.Clock, cat *i18n.Catalog) *Evaluator {
	return &Evaluator{db: d, verif: verif, clock: clock, cat: cat}
}

// Check evaluates req for userID (0: not signed in) in territory t.
func (e *Evaluator) Check(ctx context.Context, userID int64, req Requirement, t Territory) (Result, error) {
	return e.CheckAction(ctx, userID, "", req, t)
}

// CheckAction is Check naming the action, so that messages can say which
// act is out of reach ("… but not sign").
func (e *Evaluator) CheckAction(ctx context.Context, userID int64, action string, req Requirement, t Territory) (Result, error) {
	need, ok := req.MinLevel.Strength()
	if !ok {
		return Result{}, fmt.Errorf("eligibility: unknown level %q", req.MinLevel)
	}
	if userID == 0 {
		if need == verification.StrengthNone && !req.needsIdentity() {
			return Result{OK: true}, nil
		}
		return Result{ReasonKey: "eligibility.reason.sign_in", HelpURL: HelpLogin}, nil
	}
	now := e.clock.Now()
	verb := e.verb(action)

	// 1. How sure we are of who they are.
	if need > verification.StrengthNone {
		all, err := e.verif.List(ctx, userID)
		if err != nil {
			return Result{}, err
		}
		best, expired := verification.StrengthNone, false
		for _, v := range all {
			if v.Active(now) {
				best = max(best, v.Strength())
			} else if v.Strength() >= need {
				expired = true
			}
		}
		if best < verification.StrengthEmail && need <= verification.StrengthEmail {
			// Accounts confirm their address without a verification row.
			var confirmed sql.NullTime
			if err := e.db.R().QueryRowContext(ctx, `SELECT email_confirmed_at FROM users WHERE id = $1`, userID).Scan(&confirmed); err != nil {
				return Result{}, fmt.Errorf("eligibility: user %d: %w", userID, db.Normalize(err))
			}
			if confirmed.Valid {
				best = verification.StrengthEmail
			}
		}
		if best < need {
			if expired {
				return Result{ReasonKey: "eligibility.reason.verification_expired", HelpURL: HelpLogin}, nil
			}
			if req.MinLevel == LevelEmail {
				return Result{ReasonKey: "eligibility.reason.level_email", HelpURL: "/account"}, nil
			}
			return Result{ReasonKey: "eligibility.reason.level_" + string(req.MinLevel), HelpURL: HelpLogin}, nil
		}
	}

	// 2. Who they are: age, electoral roll, residence.
	id, err := e.verif.Identity(ctx, userID)
	hasIdentity := err == nil
	if err != nil && !errors.Is(err, kernel.ErrNotFound) {
		return Result{}, err
	}
	if !hasIdentity {
		// With email-level access the age is the one declared at
		// registration; residence and the roll cannot be known at all.
		if req.needsIdentity() || (req.MinAge > 0 && need >= verification.StrengthLow) {
			return Result{ReasonKey: "eligibility.reason.identity_needed", HelpURL: HelpLogin}, nil
		}
		return Result{OK: true}, nil
	}
	if req.MinAge > 0 {
		if age := Age(id.BirthDate, now); age < req.MinAge {
			if verb != "" {
				return Result{ReasonKey: "eligibility.reason.too_young_action", Args: []any{"age", age, "min", req.MinAge, "verb", verb}}, nil
			}
			return Result{ReasonKey: "eligibility.reason.too_young", Args: []any{"age", age, "min", req.MinAge}}, nil
		}
	}
	if req.ElectorsOnly && !id.Elector {
		if verb != "" {
			return Result{ReasonKey: "eligibility.reason.not_elector_action", Args: []any{"verb", verb}}, nil
		}
		return Result{ReasonKey: "eligibility.reason.not_elector"}, nil
	}
	switch req.Residence {
	case ResidenceAny:
		return Result{OK: true}, nil
	case ResidenceComune:
		if id.Resident {
			return Result{OK: true}, nil
		}
	case ResidenceMunicipio:
		if t.Kind != "municipio" {
			// A Comune-wide space asking for "the space's Municipio": every resident qualifies.
			if id.Resident {
				return Result{OK: true}, nil
			}
			break
		}
		if id.Resident && id.Municipio != "" && id.Municipio == t.Code {
			return Result{OK: true}, nil
		}
	default:
		return Result{}, fmt.Errorf("eligibility: unknown residence rule %q", req.Residence)
	}
	return e.cityUserOr(ctx, userID, req, t, id, now)
}

// cityUserOr decides for a person who is not a resident of the territory:
// an approved city user may act when the requirement allows it; otherwise
// the most useful explanation is chosen.
func (e *Evaluator) cityUserOr(ctx context.Context, userID int64, req Requirement, t Territory, id verification.Identity, now time.Time) (Result, error) {
	municipio := req.Residence == ResidenceMunicipio && t.Kind == "municipio"
	var status cityStatus
	if req.AllowCityUsers {
		var err error
		if status, err = e.cityUser(ctx, userID, t, municipio, now); err != nil {
			return Result{}, err
		}
		if status.approved {
			return Result{OK: true}, nil
		}
	}
	suffix := ""
	if req.AllowCityUsers {
		suffix = "_or_city_user"
	}
	switch {
	case status.pending:
		return Result{ReasonKey: "eligibility.reason.city_user_pending"}, nil
	case !status.expiredAt.IsZero():
		return Result{ReasonKey: "eligibility.reason.city_user_expired", Args: []any{"date", status.expiredAt}, HelpURL: HelpCityUser}, nil
	}
	help := ""
	if req.AllowCityUsers {
		help = HelpCityUser
	}
	if municipio {
		if id.Resident && id.Municipio != "" {
			return Result{ReasonKey: "eligibility.reason.other_municipio" + suffix, Args: []any{"yours", id.Municipio, "municipio", t.Code}, HelpURL: help}, nil
		}
		return Result{ReasonKey: "eligibility.reason.not_resident_municipio" + suffix, Args: []any{"municipio", t.Code}, HelpURL: help}, nil
	}
	return Result{ReasonKey: "eligibility.reason.not_resident_comune" + suffix, HelpURL: help}, nil
}

type cityStatus struct {
	approved  bool
	pending   bool
	expiredAt time.Time // latest expired approval for the territory, if no current one
}

// cityUser reads the person's city-user requests. For a Municipio action
// only requests for that Municipio count; for a Comune action any does.
func (e *Evaluator) cityUser(ctx context.Context, userID int64, t Territory, municipio bool, now time.Time) (cityStatus, error) {
	rows, err := e.db.R().QueryContext(ctx, `SELECT r.status, r.expires_at, COALESCE(r.territory_id, 0), COALESCE(t.census_code, '')
		FROM city_user_requests r LEFT JOIN territories t ON t.id = r.territory_id
		WHERE r.user_id = $1 AND r.status <> 'rejected' ORDER BY r.id DESC`, userID)
	if err != nil {
		return cityStatus{}, fmt.Errorf("eligibility: city user: %w", err)
	}
	defer rows.Close()
	var st cityStatus
	for rows.Next() {
		var status, code string
		var exp sql.NullTime
		var territoryID int64
		if err := rows.Scan(&status, &exp, &territoryID, &code); err != nil {
			return cityStatus{}, fmt.Errorf("eligibility: city user: %w", err)
		}
		if municipio && !(territoryID == t.ID && t.ID != 0 || code != "" && code == t.Code) {
			continue
		}
		switch {
		case status == "pending":
			st.pending = true
		case status == "approved" && exp.Valid && now.Before(exp.Time):
			st.approved = true
		case status == "approved" && exp.Valid && exp.Time.After(st.expiredAt):
			st.expiredAt = exp.Time
		}
	}
	if st.approved || st.pending {
		st.expiredAt = time.Time{}
	}
	return st, rows.Err()
}

func (e *Evaluator) verb(action string) MessageKey {
	if action == "" {
		return ""
	}
	key := "eligibility.verb." + strings.ToLower(action)
	if e.VerbKey != nil {
		key = e.VerbKey(action)
	}
	if e.cat != nil && !e.cat.Has(kernel.LocaleIT, key) {
		return ""
	}
	return MessageKey(key)
}

// rome is where ages are counted: a person turns 16 at midnight in Italy.
var rome = func() *time.Location {
	loc, err := time.LoadLocation("Europe/Rome")
	if err != nil {
		return time.FixedZone("CET", 3600)
	}
	return loc
}()

// Age is the age in whole years on now's date in Italy of a person born on
// birth (a civil date). Someone born on 29 February has their birthday on
// 1 March in common years.
func Age(birth, now time.Time) int {
	today := now.In(rome)
	age := today.Year() - birth.Year()
	if today.Month() < birth.Month() || (today.Month() == birth.Month() && today.Day() < birth.Day()) {
		age--
	}
	return age
}

// ForSpace resolves what an action requires in a space and checks it: the
// requirement chosen for (componentID, action), or DefaultFor(action) when
// none was (or componentID is 0); the territory of the space (a process's
// territory_id; the Comune otherwise).
func (e *Evaluator) ForSpace(ctx context.Context, userID int64, spaceType string, spaceID, componentID int64, action string) (Result, error) {
	req := e.DefaultFor(action)
	if componentID != 0 {
		r, ok, err := NewStore(e.db, e.clock).Get(ctx, componentID, action)
		if err != nil {
			return Result{}, err
		}
		if ok {
			req = r
		}
	}
	t := Comune
	if spaceType == "process" {
		var territoryID sql.NullInt64
		err := e.db.R().QueryRowContext(ctx, `SELECT territory_id FROM processes WHERE id = $1`, spaceID).Scan(&territoryID)
		if err != nil {
			return Result{}, fmt.Errorf("eligibility: process %d: %w", spaceID, db.Normalize(err))
		}
		if t, err = LoadTerritory(ctx, e.db.R(), territoryID.Int64); err != nil {
			return Result{}, err
		}
	}
	return e.CheckAction(ctx, userID, action, req, t)
}

// Allow is the shape authz's eligibility hook needs: given the requirement
// and territory it resolved for (space, action), it reports ok and the
// reason key. Use Check/CheckAction when the page can show the full
// message (the reason's Args and HelpURL).
func (e *Evaluator) Allow(ctx context.Context, userID int64, action string, req Requirement, t Territory) (bool, string, error) {
	r, err := e.CheckAction(ctx, userID, action, req, t)
	return r.OK, r.ReasonKey, err
}
