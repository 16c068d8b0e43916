// Package consultation is the consultation tool: an administrator imports a
// document (a plan, a regulation), the platform splits it into articles and
// numbered paragraphs (commi), and while the observation phase is open
// eligible participants file formal observations on a paragraph — each with
// a protocol number and a receipt — that others may support and discuss.
// Evaluators draft a reasoned reply (controdeduzione) to each observation;
// the space's administrators publish them all together in one act, and the
// report lists everything for the Council.
//
// Rules, in one place:
//   - An observation may be edited or withdrawn by its author only while the
//     observe action is open, nobody has supported or commented on it, and
//     it has no published reply: from then on it is part of the public
//     record. Every version is kept and shown.
//   - Protocol numbers PREFIX-YEAR-NNNNNN come from a per-consultation,
//     per-year counter row incremented in the filing transaction: no gaps,
//     no duplicates (and a unique constraint besides).
//   - One support per person (a primary key), never on one's own observation.
//   - Drafted replies are private to evaluators and administrators until
//     published; publication is one transaction that notifies every author.
//   - Observations are commentable and reportable as ("observation", id).
package consultation

import (
	"context"
	"database/sql"
	"fmt"
	"html/template"
	"time"

	"github.com/arengo/arengo/internal/authz"
	"github.com/arengo/arengo/internal/comments"
	"github.com/arengo/arengo/internal/component"
	"github.com/arengo/arengo/internal/db"
	"github.com/arengo/arengo/internal/i18n"
	"github.com/arengo/arengo/internal/kernel"
	"github.com/arengo/arengo/internal/moderation"
	"github.com/arengo/arengo/internal/ratelimit"
)

// Type is the consultation tool's type in the registry.
const Type = "consultation"

// Authorizer is the part of authz the tool asks (authz.Authorizer).
type Authorizer interface {
	Authorize(ctx context.Context, r authz.Request) (authz.Decision, error)
	CanManage(ctx context.Context, userID int64, space authz.SpaceRef) (bool, error)
}

// Deps are the services the tool uses.
type Deps struct {
	DB          *db.DB
	Clock       kernel.Clock
	Catalog     *i18n.Catalog
	Limiter     *ratelimit.Limiter
	Authz       Authorizer
	Comments    *comments.Service
	CommentsWeb *comments.Web
	Moderation  *moderation.Service
	Options     Options
}

// Options tune the tool.
type Options struct {
	BaseURL         string         // absolute links in emails
	OrgName         string         // email signature
	RateLimit       ratelimit.Rule // observations per participant; default 5 per 10 minutes
	SupportLimit    ratelimit.Rule // supports given or withdrawn per participant; default 30 per 10 minutes
	DuplicateWindow time.Duration  // the same text again within it is refused; default 1 minute
	MaxAttachment   int64          // bytes of an observation's PDF; default DefaultMaxAttachment
}

// Module is the consultation tool: its store, rules and pages.
type Module struct {
	db          *db.DB
	st          store
	clock       kernel.Clock
	cat         *i18n.Catalog
	limiter     *ratelimit.Limiter
	authz       Authorizer
	comments    *comments.Service
	commentsWeb *comments.Web
	mod         *moderation.Service
	opt         Options
	rome        *time.Location
	report      *template.Template
}

// New returns the module and registers observations with comments (a
// policy) and moderation (a reportable type).
func New(d Deps) (*Module, error) {
	if d.Options.RateLimit.Max <= 0 {
		d.Options.RateLimit = ratelimit.Rule{Max: 5, Window: 10 * time.Minute}
	}
	if d.Options.SupportLimit.Max <= 0 {
		d.Options.SupportLimit = ratelimit.Rule{Max: 30, Window: 10 * time.Minute}
	}
	if d.Options.MaxAttachment <= 0 {
		d.Options.MaxAttachment = DefaultMaxAttachment
	}
	if d.Options.DuplicateWindow <= 0 {
		d.Options.DuplicateWindow = time.Minute
	}
	m := &Module{db: d.DB, st: store{db: d.DB}, clock: d.Clock, cat: d.Catalog, limiter: d.Limiter, authz: d.Authz,
		comments: d.Comments, commentsWeb: d.CommentsWeb, mod: d.Moderation, opt: d.Options, rome: rome()}
	t, err := parseStandalone()
	if err != nil {
		return nil, err
	}
	m.report = t
	if d.Comments != nil {
		if err := d.Comments.Register(TypeObservation, policy{m}); err != nil {
			return nil, fmt.Errorf("consultation: %w", err)
		}
	}
	if d.Moderation != nil {
		if err := d.Moderation.Register(TypeObservation, reportable{m}); err != nil {
			return nil, fmt.Errorf("consultation: %w", err)
		}
	}
	return m, nil
}

// Manifest describes the tool to the registry. Observe files observations,
// support supports them, comment discusses them; evaluators reply through
// the staff action "evaluate" (a space role), not a phase.
func (m *Module) Manifest() component.Manifest {
	return component.Manifest{
		Type:           Type,
		NameKey:        "consultation.name",
		DescriptionKey: "consultation.description",
		Actions:        []string{component.ActionObserve, component.ActionSupport, component.ActionComment},
		Created: func(ctx context.Context, tx *sql.Tx, c component.Component) error {
			_, err := tx.ExecContext(ctx, `INSERT INTO consultations (component_id, protocol_prefix, max_observation_length, outcome_labels, document_title, updated_at)
				VALUES ($1, $2, $3, $4, $5, $6)`, c.ID, DefaultPrefix, DefaultMaxLength, "{}", kernel.Text{}, c.CreatedAt)
			return err
		},
		Mount:     m.mount,
		HasEditor: true,
		Exporters: []component.Exporter{
			exporter{m: m, dataset: DatasetParagraphs}, exporter{m: m, dataset: DatasetObservations},
			exporter{m: m, dataset: DatasetComments}, exporter{m: m, dataset: DatasetReplies},
		},
	}
}
