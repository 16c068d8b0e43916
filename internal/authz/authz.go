// Package authz answers one question: may this participant do this action
// on this component now? The answer combines the participant's account
// (signed in, not blocked), their roles (platform administrator, space
// roles), the component's state (published), the current phase's open
// actions, and an eligibility hook that the identity module fills.
//
// Two kinds of action exist. Participatory actions (create, support, sign,
// vote, comment, observe…) are declared by a component's manifest and are
// gated by phase and eligibility for everyone, administrators included: an
// administrator votes like any other citizen. Staff actions (manage,
// moderate, evaluate) come from roles and ignore phases and eligibility.
package authz

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/arengo/arengo/internal/db"
	"github.com/arengo/arengo/internal/i18n"
	"github.com/arengo/arengo/internal/kernel"
)

// Space roles. A platform administrator holds every role in every space.
const (
	RoleAdmin     = "admin"     // manages the space: components, roles, audit log
	RoleModerator = "moderator" // hides reported content, blocks participants
	RoleEvaluator = "evaluator" // writes official replies and assessments
)

// Roles lists the space roles in the order pages show them.
var Roles = []string{RoleAdmin, RoleModerator, RoleEvaluator}

// ValidRole reports whether r is a space role.
func ValidRole(r string) bool {
	for _, x := range Roles {
		if x == r {
			return true
		}
	}
	return false
}

// Staff actions, granted by roles rather than opened by phases.
const (
	ActionManage   = "manage"
	ActionModerate = "moderate"
	ActionEvaluate = "evaluate"
)

// staffActions maps each staff action to the space roles that grant it.
var staffActions = map[string][]string{
	ActionManage:   {RoleAdmin},
	ActionModerate: {RoleAdmin, RoleModerator},
	ActionEvaluate: {RoleAdmin, RoleEvaluator},
}

// IsStaffAction reports whether action is granted by roles.
func IsStaffAction(action string) bool {
	_, ok := staffActions[action]
	return ok
}

// Reason is why an action is refused: an i18n message key a page can show.
type Reason string

// The reasons, checked in this order.
const (
	ReasonNotSignedIn    Reason = "authz.reason.not_signed_in"
	ReasonBlocked        Reason = "authz.reason.blocked"
	ReasonNoRole         Reason = "authz.reason.no_role"
	ReasonUnknownAction  Reason = "authz.reason.unknown_action"
	ReasonUnpublished    Reason = "authz.reason.unpublished"
	ReasonNoCurrentPhase Reason = "authz.reason.no_current_phase"
	ReasonActionClosed   Reason = "authz.reason.action_closed"
	ReasonNotEligible    Reason = "authz.reason.not_eligible"
)

// Request asks whether UserID (0 for an anonymous visitor) may do Action on
// ComponentID now.
type Request struct {
	UserID      int64
	ComponentID int64
	Action      string
}

// Decision is the answer. When Allowed is false, Reason says why, and for
// ReasonNotEligible, EligibilityReason carries the hook's own message key
// (e.g. "eligibility.reason.too_young_action") with its Args, and HelpURL
// where the participant can do something about it (may be empty). Text
// renders the whole sentence.
type Decision struct {
	Allowed           bool
	Reason            Reason
	EligibilityReason string
	Args              []any  // name/value pairs for EligibilityReason; see Key
	HelpURL           string // e.g. "/login" or "/account/city-user"
	PhaseID           int64  // the current phase the decision was taken in, 0 if none
}

// MessageKey is the most specific message to show the participant. Its
// placeholders are filled by Args: prefer Text, which translates them.
func (d Decision) MessageKey() string {
	if d.EligibilityReason != "" {
		return d.EligibilityReason
	}
	return string(d.Reason)
}

// Key is an argument of a message that is itself a message key (e.g. the
// verb "firmare" in "puoi leggere e commentare ma non firmare"): the catalog
// translates it into the reader's language.
type Key = i18n.Key

// Text is the refusal as a full sentence in locale ("" when allowed), e.g.
// "Hai 15 anni: puoi leggere e commentare ma non firmare (servono almeno
// 16 anni)." The catalog translates Key, kernel.Text and time.Time arguments.
func (d Decision) Text(cat *i18n.Catalog, locale string) string {
	if d.Allowed {
		return ""
	}
	return cat.T(locale, d.MessageKey(), d.Args...)
}

// Invalid is the refusal as a form error (with its arguments), for handlers
// that re-render a form with the reason.
func (d Decision) Invalid() error {
	return kernel.Invalid("", d.MessageKey(), d.Args...)
}

// Verdict is an eligibility hook's answer: OK, or why not (ReasonKey with
// Args, as in Decision) and where to go about it (HelpURL).
type Verdict struct {
	OK        bool
	ReasonKey string
	Args      []any
	HelpURL   string
}

// Eligibility decides whether a participant may take a participatory action
// of a component (age, residence, verification level…): the identity module
// implements it with the requirement administrators chose for
// (componentID, action) and the territory of space.
type Eligibility interface {
	Check(ctx context.Context, userID int64, space SpaceRef, componentID int64, action string) (Verdict, error)
}

// RoleChecker reads a participant's roles in a space (the roles service).
type RoleChecker interface {
	RolesOf(ctx context.Context, userID int64, spaceType string, spaceID int64) ([]string, error)
}

// ActionCatalog tells which participatory actions a component type declares
// (the component registry).
type ActionCatalog interface {
	Declares(componentType, action string) bool
}

// Authorizer answers authorization questions from the database.
type Authorizer struct {
	db      *db.DB
	clock   kernel.Clock
	roles   RoleChecker
	actions ActionCatalog
	elig    Eligibility
}

// New returns an Authorizer. elig may be nil: then a participant is
// eligible when signed in with a confirmed email (see EmailConfirmed).
func New(d *db.DB, clock kernel.Clock, roles RoleChecker, actions ActionCatalog, elig Eligibility) *Authorizer {
	if elig == nil {
		elig = EmailConfirmed{DB: d}
	}
	return &Authorizer{db: d, clock: clock, roles: roles, actions: actions, elig: elig}
}

// UseEligibility replaces the eligibility hook. The composition root calls
// it while wiring, before serving, once the identity module is built.
func (a *Authorizer) UseEligibility(e Eligibility) {
	if e != nil {
		a.elig = e
	}
}

// account is the part of a user authorization looks at.
type account struct {
	admin   bool
	blocked bool
}

// loadAccount returns the live account of userID; a deleted or missing
// account is ErrNotFound (treated as "not signed in").
func (a *Authorizer) loadAccount(ctx context.Context, userID int64) (account, error) {
	var acc account
	var blocked, deleted sql.NullTime
	err := a.db.R().QueryRowContext(ctx, `SELECT is_admin, blocked_at, deleted_at FROM users WHERE id = $1`, userID).
		Scan(&acc.admin, &blocked, &deleted)
	if err != nil {
		return account{}, fmt.Errorf("authz: user %d: %w", userID, db.Normalize(err))
	}
	if deleted.Valid {
		return account{}, fmt.Errorf("authz: user %d deleted: %w", userID, kernel.ErrNotFound)
	}
	acc.blocked = blocked.Valid
	return acc, nil
}

// hasAnyRole reports whether userID holds one of roles in space.
func (a *Authorizer) hasAnyRole(ctx context.Context, userID int64, space SpaceRef, roles []string) (bool, error) {
	held, err := a.roles.RolesOf(ctx, userID, space.Type, space.ID)
	if err != nil {
		return false, fmt.Errorf("authz: roles: %w", err)
	}
	for _, h := range held {
		for _, r := range roles {
			if h == r {
				return true, nil
			}
		}
	}
	return false, nil
}

// Authorize answers "may r.UserID do r.Action on r.ComponentID now?". An
// unknown component is kernel.ErrNotFound; a refusal is a Decision with a
// Reason, not an error.
func (a *Authorizer) Authorize(ctx context.Context, r Request) (Decision, error) {
	if r.UserID == 0 {
		return Decision{Reason: ReasonNotSignedIn}, nil
	}
	acc, err := a.loadAccount(ctx, r.UserID)
	if errors.Is(err, kernel.ErrNotFound) {
		return Decision{Reason: ReasonNotSignedIn}, nil
	}
	if err != nil {
		return Decision{}, err
	}
	if acc.blocked {
		return Decision{Reason: ReasonBlocked}, nil
	}
	var (
		space     SpaceRef
		typ       string
		published sql.NullTime
	)
	err = a.db.R().QueryRowContext(ctx, `SELECT space_type, space_id, type, published_at FROM components WHERE id = $1`, r.ComponentID).
		Scan(&space.Type, &space.ID, &typ, &published)
	if err != nil {
		return Decision{}, fmt.Errorf("authz: component %d: %w", r.ComponentID, db.Normalize(err))
	}

	if grants, staff := staffActions[r.Action]; staff {
		if acc.admin {
			return Decision{Allowed: true}, nil
		}
		ok, err := a.hasAnyRole(ctx, r.UserID, space, grants)
		if err != nil {
			return Decision{}, err
		}
		if !ok {
			return Decision{Reason: ReasonNoRole}, nil
		}
		return Decision{Allowed: true}, nil
	}

	if a.actions == nil || !a.actions.Declares(typ, r.Action) {
		return Decision{Reason: ReasonUnknownAction}, nil
	}
	if !published.Valid {
		return Decision{Reason: ReasonUnpublished}, nil
	}
	if space.Type != SpaceProcess {
		// Only processes have phases so far: nothing is open elsewhere.
		return Decision{Reason: ReasonNoCurrentPhase}, nil
	}
	p, err := LoadProcess(ctx, a.db.R(), space.ID)
	if err != nil {
		return Decision{}, err
	}
	if !p.Published {
		// Nobody can see a component of an unpublished process, so nobody acts in it.
		return Decision{Reason: ReasonUnpublished}, nil
	}
	phase, ok := p.CurrentPhase(a.clock.Now())
	if !ok {
		return Decision{Reason: ReasonNoCurrentPhase}, nil
	}
	var n int
	err = a.db.R().QueryRowContext(ctx, `SELECT COUNT(*) FROM component_phase_actions WHERE component_id = $1 AND phase_id = $2 AND action = $3`,
		r.ComponentID, phase.ID, r.Action).Scan(&n)
	if err != nil {
		return Decision{}, fmt.Errorf("authz: phase actions: %w", err)
	}
	if n == 0 {
		return Decision{Reason: ReasonActionClosed, PhaseID: phase.ID}, nil
	}
	v, err := a.elig.Check(ctx, r.UserID, space, r.ComponentID, r.Action)
	if err != nil {
		return Decision{}, fmt.Errorf("authz: eligibility: %w", err)
	}
	if !v.OK {
		return Decision{Reason: ReasonNotEligible, EligibilityReason: v.ReasonKey, Args: v.Args, HelpURL: v.HelpURL, PhaseID: phase.ID}, nil
	}
	return Decision{Allowed: true, PhaseID: phase.ID}, nil
}

// CanManage reports whether userID may administer space: a platform
// administrator, or the space's own administrator. Blocked and deleted
// accounts manage nothing.
func (a *Authorizer) CanManage(ctx context.Context, userID int64, space SpaceRef) (bool, error) {
	if userID == 0 {
		return false, nil
	}
	acc, err := a.loadAccount(ctx, userID)
	if errors.Is(err, kernel.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if acc.blocked {
		return false, nil
	}
	if acc.admin {
		return true, nil
	}
	return a.hasAnyRole(ctx, userID, space, []string{RoleAdmin})
}

// RequireManage returns nil when userID may manage space,
// kernel.ErrUnauthenticated for an anonymous visitor and kernel.ErrForbidden
// otherwise: what an admin page handler returns.
func (a *Authorizer) RequireManage(ctx context.Context, userID int64, space SpaceRef) error {
	if userID == 0 {
		return kernel.ErrUnauthenticated
	}
	ok, err := a.CanManage(ctx, userID, space)
	if err != nil {
		return err
	}
	if !ok {
		return kernel.ErrForbidden
	}
	return nil
}

// EmailConfirmed is the default eligibility rule until the identity module
// provides a real one: any signed-in participant whose email is confirmed.
type EmailConfirmed struct{ DB *db.DB }

// Check implements Eligibility.
func (e EmailConfirmed) Check(ctx context.Context, userID int64, _ SpaceRef, _ int64, _ string) (Verdict, error) {
	var confirmed sql.NullTime
	err := e.DB.R().QueryRowContext(ctx, `SELECT email_confirmed_at FROM users WHERE id = $1`, userID).Scan(&confirmed)
	if err != nil {
		return Verdict{}, fmt.Errorf("authz: eligibility: %w", db.Normalize(err))
	}
	if !confirmed.Valid {
		return Verdict{ReasonKey: "authz.eligibility.email_unconfirmed"}, nil
	}
	return Verdict{OK: true}, nil
}
