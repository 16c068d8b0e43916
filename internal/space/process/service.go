package process

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/arengo/arengo/internal/audit"
	"github.com/arengo/arengo/internal/db"
	"github.com/arengo/arengo/internal/kernel"
)

// Service holds the use cases of processes, phases, territories and Pacts.
// Reads are open to anyone (callers decide what the public may see);
// the writing methods are for platform administrators, checked by the
// caller, and each writes an audit entry in its own transaction.
type Service struct {
	db    *db.DB
	clock kernel.Clock
	loc   *time.Location
}

// NewService returns the service. Dates typed by staff are read in loc (the
// municipality's time zone; Europe/Rome when nil).
func NewService(d *db.DB, clock kernel.Clock, loc *time.Location) *Service {
	if loc == nil {
		loc = Rome()
	}
	return &Service{db: d, clock: clock, loc: loc}
}

// Rome is the time zone of Italian municipalities (a fixed CET offset if the
// system has no zone database).
func Rome() *time.Location {
	loc, err := time.LoadLocation("Europe/Rome")
	if err != nil {
		return time.FixedZone("CET", 3600)
	}
	return loc
}

// Location is the time zone dates are typed and shown in.
func (s *Service) Location() *time.Location { return s.loc }

// Now is the service clock's time.
func (s *Service) Now() time.Time { return s.clock.Now() }

// ---- territories

// Territories lists every territory, in display order.
func (s *Service) Territories(ctx context.Context) ([]Territory, error) {
	return listTerritories(ctx, s.db.R())
}

// Territory returns one territory or an error wrapping kernel.ErrNotFound.
func (s *Service) Territory(ctx context.Context, id int64) (Territory, error) {
	return getTerritory(ctx, s.db.R(), id)
}

// CreateTerritory adds a territory. Errors: *kernel.InvalidError (including
// a taken slug or a parent that is not a comune).
func (s *Service) CreateTerritory(ctx context.Context, in TerritoryInput) (Territory, error) {
	in.Slug = strings.ToLower(strings.TrimSpace(in.Slug))
	v := &kernel.Validator{}
	in.Validate(v)
	if err := s.checkSlug(ctx, v, "territories", in.Slug, 0); err != nil {
		return Territory{}, err
	}
	if err := v.Err(); err != nil {
		return Territory{}, err
	}
	t := Territory{Slug: in.Slug, Name: in.Name, Kind: in.Kind, ParentID: in.ParentID}
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		if err := checkParent(ctx, tx, t); err != nil {
			return err
		}
		if err := insertTerritory(ctx, tx, &t); err != nil {
			return err
		}
		return audit.Record(ctx, tx, s.clock.Now(), audit.Entry{Action: "territory.create", TargetType: "territory", TargetID: t.ID, After: t})
	})
	if err != nil {
		return Territory{}, territoryConflict(err)
	}
	return t, nil
}

// UpdateTerritory changes a territory. Errors: kernel.ErrNotFound,
// *kernel.InvalidError.
func (s *Service) UpdateTerritory(ctx context.Context, id int64, in TerritoryInput) (Territory, error) {
	in.Slug = strings.ToLower(strings.TrimSpace(in.Slug))
	v := &kernel.Validator{}
	in.Validate(v)
	v.Check(in.ParentID != id || id == 0, "parent_id", "process.territory.error.parent_self")
	if err := s.checkSlug(ctx, v, "territories", in.Slug, id); err != nil {
		return Territory{}, err
	}
	if err := v.Err(); err != nil {
		return Territory{}, err
	}
	var after Territory
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		before, err := getTerritory(ctx, tx, id)
		if err != nil {
			return err
		}
		after = before
		after.Slug, after.Name, after.Kind, after.ParentID = in.Slug, in.Name, in.Kind, in.ParentID
		if err := checkParent(ctx, tx, after); err != nil {
			return err
		}
		if before.Kind == KindComune && after.Kind != KindComune {
			n, err := countChildTerritories(ctx, tx, id)
			if err != nil {
				return err
			}
			if n > 0 {
				return kernel.Invalid("kind", "process.territory.error.has_children")
			}
		}
		if err := updateTerritory(ctx, tx, after); err != nil {
			return err
		}
		return audit.Record(ctx, tx, s.clock.Now(), audit.Entry{Action: "territory.update", TargetType: "territory", TargetID: id, Before: before, After: after})
	})
	if err != nil {
		return Territory{}, territoryConflict(err)
	}
	return after, nil
}

func checkParent(ctx context.Context, q db.Querier, t Territory) error {
	if t.ParentID == 0 {
		return nil
	}
	p, err := getTerritory(ctx, q, t.ParentID)
	if errors.Is(err, kernel.ErrNotFound) || (err == nil && p.Kind != KindComune) {
		return kernel.Invalid("parent_id", "process.territory.error.parent_kind")
	}
	return err
}

func territoryConflict(err error) error {
	if db.IsConflictOn(err, "territories.slug", "territories_slug_key") {
		return kernel.Invalid("slug", "process.error.slug_taken")
	}
	return err
}

// ---- processes

// Get returns a process by id, published or not. Errors: kernel.ErrNotFound.
func (s *Service) Get(ctx context.Context, id int64) (Process, error) {
	return getProcess(ctx, s.db.R(), id)
}

// GetBySlug returns a process by slug, published or not (callers hide drafts
// from the public). Errors: kernel.ErrNotFound.
func (s *Service) GetBySlug(ctx context.Context, slug string) (Process, error) {
	if !slugRe.MatchString(slug) || len(slug) > MaxSlugLen {
		return Process{}, fmt.Errorf("process: slug %q: %w", slug, kernel.ErrNotFound)
	}
	return getProcessBySlug(ctx, s.db.R(), slug)
}

// List returns the processes matching f and the total number of matches
// (for pagination). A zero f.Now means the service clock's now.
func (s *Service) List(ctx context.Context, f Filter) ([]Process, int, error) {
	if f.Now.IsZero() {
		f.Now = s.clock.Now()
	}
	return listProcesses(ctx, s.db.R(), f)
}

// dayBounds turns the typed first and last days into the stored instants:
// midnight of the first day and midnight after the last day, in s.loc.
func (s *Service) dayBounds(first, last time.Time) (time.Time, time.Time) {
	y, m, d := first.In(s.loc).Date()
	start := time.Date(y, m, d, 0, 0, 0, 0, s.loc).UTC()
	y, m, d = last.In(s.loc).Date()
	end := time.Date(y, m, d+1, 0, 0, 0, 0, s.loc).UTC()
	return start, end
}

func (s *Service) prepareProcess(ctx context.Context, in *ProcessInput, id int64) error {
	in.Slug = strings.ToLower(strings.TrimSpace(in.Slug))
	v := &kernel.Validator{}
	in.Validate(v)
	if in.Slug == "" {
		in.Slug = Slugify(in.Title[kernel.LocaleIT])
	}
	if err := s.checkSlug(ctx, v, "processes", in.Slug, id); err != nil {
		return err
	}
	return v.Err()
}

// checkSlug adds a "taken" error when another row of table (a constant,
// "processes" or "territories") uses slug, so the form shows it along with
// every other problem. The unique constraint stays the guard against races.
func (s *Service) checkSlug(ctx context.Context, v *kernel.Validator, table, slug string, id int64) error {
	if slug == "" || v.Has("slug") {
		return nil
	}
	var n int
	err := s.db.R().QueryRowContext(ctx, `SELECT COUNT(*) FROM `+table+` WHERE slug = $1 AND id <> $2`, slug, id).Scan(&n)
	if err != nil {
		return fmt.Errorf("process: check slug: %w", err)
	}
	v.Check(n == 0, "slug", "process.error.slug_taken")
	return nil
}

func checkTerritory(ctx context.Context, q db.Querier, id int64) error {
	if id == 0 {
		return nil
	}
	if _, err := getTerritory(ctx, q, id); errors.Is(err, kernel.ErrNotFound) {
		return kernel.Invalid("territory_id", "process.error.territory_unknown")
	} else if err != nil {
		return err
	}
	return nil
}

// Create adds a process (published or as a draft). Errors:
// *kernel.InvalidError, including a taken slug.
func (s *Service) Create(ctx context.Context, in ProcessInput) (Process, error) {
	if err := s.prepareProcess(ctx, &in, 0); err != nil {
		return Process{}, err
	}
	now := s.clock.Now()
	p := Process{Slug: in.Slug, Title: in.Title, Subtitle: in.Subtitle, Description: in.Description, TerritoryID: in.TerritoryID,
		CreatedAt: now, UpdatedAt: now}
	p.StartsOn, p.EndsOn = s.dayBounds(in.StartsOn, in.EndsOn)
	if in.Published {
		p.PublishedAt = &now
	}
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		if err := checkTerritory(ctx, tx, p.TerritoryID); err != nil {
			return err
		}
		if err := insertProcess(ctx, tx, &p); err != nil {
			return err
		}
		return audit.Record(ctx, tx, now, audit.Entry{Action: "process.create", TargetType: SpaceType, TargetID: p.ID,
			SpaceType: SpaceType, SpaceID: p.ID, After: p})
	})
	if err != nil {
		return Process{}, processConflict(err)
	}
	return p, nil
}

// Update changes a process. Unticking Published hides it again; ticking it
// keeps the first publication date. Errors: kernel.ErrNotFound,
// *kernel.InvalidError.
func (s *Service) Update(ctx context.Context, id int64, in ProcessInput) (Process, error) {
	// An unknown process is "not found" before anything about the input.
	if _, err := getProcess(ctx, s.db.R(), id); err != nil {
		return Process{}, err
	}
	if err := s.prepareProcess(ctx, &in, id); err != nil {
		return Process{}, err
	}
	now := s.clock.Now()
	var after Process
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		before, err := getProcess(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := checkTerritory(ctx, tx, in.TerritoryID); err != nil {
			return err
		}
		after = before
		after.Slug, after.Title, after.Subtitle, after.Description, after.TerritoryID = in.Slug, in.Title, in.Subtitle, in.Description, in.TerritoryID
		after.StartsOn, after.EndsOn = s.dayBounds(in.StartsOn, in.EndsOn)
		after.UpdatedAt = now
		switch {
		case !in.Published:
			after.PublishedAt = nil
		case before.PublishedAt == nil:
			after.PublishedAt = &now
		}
		if err := updateProcess(ctx, tx, after); err != nil {
			return err
		}
		return audit.Record(ctx, tx, now, audit.Entry{Action: "process.update", TargetType: SpaceType, TargetID: id,
			SpaceType: SpaceType, SpaceID: id, Before: before, After: after})
	})
	if err != nil {
		return Process{}, processConflict(err)
	}
	return after, nil
}

func processConflict(err error) error {
	if db.IsConflictOn(err, "processes.slug", "processes_slug_key") {
		return kernel.Invalid("slug", "process.error.slug_taken")
	}
	return err
}

// ---- phases

// Phases lists a process's phases in order.
func (s *Service) Phases(ctx context.Context, processID int64) ([]Phase, error) {
	return listPhases(ctx, s.db.R(), processID)
}

// Phase returns one phase of a process. Errors: kernel.ErrNotFound.
func (s *Service) Phase(ctx context.Context, processID, phaseID int64) (Phase, error) {
	return getPhase(ctx, s.db.R(), processID, phaseID)
}

// checkOverlap reports the first other phase ph overlaps, by its 1-based
// place in the list, as an error on the start field.
func checkOverlap(ph Phase, phases []Phase) error {
	for i, o := range phases {
		if o.ID != ph.ID && ph.Overlaps(o) {
			return &kernel.InvalidError{Fields: []kernel.FieldError{
				{Field: "starts_at", Key: "process.phase.error.overlap", Args: []any{"n", i + 1}},
				{Field: "ends_at", Key: "process.phase.error.overlap", Args: []any{"n", i + 1}},
			}}
		}
	}
	return nil
}

func (s *Service) preparePhase(in PhaseInput) (PhaseInput, error) {
	v := &kernel.Validator{}
	in.Validate(v)
	in.StartsAt, in.EndsAt = in.StartsAt.UTC(), in.EndsAt.UTC()
	return in, v.Err()
}

// AddPhase appends a phase to a process. Errors: kernel.ErrNotFound,
// *kernel.InvalidError (including overlapping another phase).
func (s *Service) AddPhase(ctx context.Context, processID int64, in PhaseInput) (Phase, error) {
	in, err := s.preparePhase(in)
	if err != nil {
		return Phase{}, err
	}
	ph := Phase{ProcessID: processID, Title: in.Title, Description: in.Description, StartsAt: in.StartsAt, EndsAt: in.EndsAt}
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := getProcess(ctx, tx, processID); err != nil {
			return err
		}
		phases, err := listPhases(ctx, tx, processID)
		if err != nil {
			return err
		}
		if err := checkOverlap(ph, phases); err != nil {
			return err
		}
		if err := insertPhase(ctx, tx, &ph); err != nil {
			return err
		}
		return audit.Record(ctx, tx, s.clock.Now(), audit.Entry{Action: "phase.create", TargetType: "phase", TargetID: ph.ID,
			SpaceType: SpaceType, SpaceID: processID, After: ph})
	})
	if err != nil {
		return Phase{}, err
	}
	return ph, nil
}

// UpdatePhase changes a phase. Errors: kernel.ErrNotFound, *kernel.InvalidError.
func (s *Service) UpdatePhase(ctx context.Context, processID, phaseID int64, in PhaseInput) (Phase, error) {
	in, err := s.preparePhase(in)
	if err != nil {
		return Phase{}, err
	}
	var after Phase
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		before, err := getPhase(ctx, tx, processID, phaseID)
		if err != nil {
			return err
		}
		phases, err := listPhases(ctx, tx, processID)
		if err != nil {
			return err
		}
		after = before
		after.Title, after.Description, after.StartsAt, after.EndsAt = in.Title, in.Description, in.StartsAt, in.EndsAt
		if err := checkOverlap(after, phases); err != nil {
			return err
		}
		if err := updatePhase(ctx, tx, after); err != nil {
			return err
		}
		return audit.Record(ctx, tx, s.clock.Now(), audit.Entry{Action: "phase.update", TargetType: "phase", TargetID: phaseID,
			SpaceType: SpaceType, SpaceID: processID, Before: before, After: after})
	})
	if err != nil {
		return Phase{}, err
	}
	return after, nil
}

// DeletePhase removes a phase; if it was pinned, the process goes back to
// following the dates. Errors: kernel.ErrNotFound.
func (s *Service) DeletePhase(ctx context.Context, processID, phaseID int64) error {
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		p, err := getProcess(ctx, tx, processID)
		if err != nil {
			return err
		}
		before, err := getPhase(ctx, tx, processID, phaseID)
		if err != nil {
			return err
		}
		if p.PinnedPhaseID == phaseID {
			if err := setPinnedPhase(ctx, tx, processID, 0, s.clock.Now()); err != nil {
				return err
			}
		}
		if err := deletePhase(ctx, tx, processID, phaseID); err != nil {
			return err
		}
		return audit.Record(ctx, tx, s.clock.Now(), audit.Entry{Action: "phase.delete", TargetType: "phase", TargetID: phaseID,
			SpaceType: SpaceType, SpaceID: processID, Before: before})
	})
}

// MovePhase moves a phase one place earlier (up) or later; at either end it
// does nothing. Errors: kernel.ErrNotFound.
func (s *Service) MovePhase(ctx context.Context, processID, phaseID int64, up bool) error {
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		phases, err := listPhases(ctx, tx, processID)
		if err != nil {
			return err
		}
		i := -1
		for k, ph := range phases {
			if ph.ID == phaseID {
				i = k
			}
		}
		if i < 0 {
			return fmt.Errorf("process: move phase %d: %w", phaseID, kernel.ErrNotFound)
		}
		j := i + 1
		if up {
			j = i - 1
		}
		if j < 0 || j >= len(phases) {
			return nil
		}
		if err := swapPhasePositions(ctx, tx, phases[i], phases[j]); err != nil {
			return err
		}
		type order struct{ Order []int64 }
		ids := func(ps []Phase) []int64 {
			out := make([]int64, len(ps))
			for k, p := range ps {
				out[k] = p.ID
			}
			return out
		}
		before := ids(phases)
		phases[i], phases[j] = phases[j], phases[i]
		return audit.Record(ctx, tx, s.clock.Now(), audit.Entry{Action: "phase.move", TargetType: "phase", TargetID: phaseID,
			SpaceType: SpaceType, SpaceID: processID, Before: order{before}, After: order{ids(phases)}})
	})
}

// PinPhase makes phaseID the current phase whatever the dates; 0 goes back
// to following the dates. Errors: kernel.ErrNotFound, *kernel.InvalidError
// (a phase of another process).
func (s *Service) PinPhase(ctx context.Context, processID, phaseID int64) error {
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		p, err := getProcess(ctx, tx, processID)
		if err != nil {
			return err
		}
		if phaseID != 0 {
			if _, err := getPhase(ctx, tx, processID, phaseID); errors.Is(err, kernel.ErrNotFound) {
				return kernel.Invalid("pinned_phase_id", "process.phase.error.pin_unknown")
			} else if err != nil {
				return err
			}
		}
		if err := setPinnedPhase(ctx, tx, processID, phaseID, s.clock.Now()); err != nil {
			return err
		}
		type pin struct{ PinnedPhaseID int64 }
		return audit.Record(ctx, tx, s.clock.Now(), audit.Entry{Action: "process.pin_phase", TargetType: SpaceType, TargetID: processID,
			SpaceType: SpaceType, SpaceID: processID, Before: pin{p.PinnedPhaseID}, After: pin{phaseID}})
	})
}

// ---- Participation Pact

// PactDraft returns the text staff are editing: the saved draft, else the
// latest published version's text, else empty sections.
func (s *Service) PactDraft(ctx context.Context, processID int64) (PactDraft, error) {
	d, err := getPactDraft(ctx, s.db.R(), processID)
	if err == nil || !errors.Is(err, kernel.ErrNotFound) {
		return d, err
	}
	versions, err := listPactVersions(ctx, s.db.R(), processID)
	if err != nil {
		return PactDraft{}, err
	}
	d = PactDraft{ProcessID: processID, Sections: Sections{}}
	if len(versions) > 0 {
		d.Sections = versions[0].Sections
	}
	return d, nil
}

// SavePactDraft stores the draft without publishing it. Errors:
// kernel.ErrNotFound, *kernel.InvalidError (a section too long).
func (s *Service) SavePactDraft(ctx context.Context, processID int64, sections Sections) error {
	v := &kernel.Validator{}
	sections.Validate(v, false)
	if err := v.Err(); err != nil {
		return err
	}
	now := s.clock.Now()
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := getProcess(ctx, tx, processID); err != nil {
			return err
		}
		var before any
		if d, err := getPactDraft(ctx, tx, processID); err == nil {
			before = d.Sections
		} else if !errors.Is(err, kernel.ErrNotFound) {
			return err
		}
		if err := savePactDraft(ctx, tx, processID, sections, now, kernel.ActorFrom(ctx).UserID); err != nil {
			return err
		}
		return audit.Record(ctx, tx, now, audit.Entry{Action: "pact.save_draft", TargetType: "pact_draft", TargetID: processID,
			SpaceType: SpaceType, SpaceID: processID, Before: before, After: sections})
	})
}

// publishAttempts bounds the retries when two administrators publish the
// same Pact at the same moment (each gets its own version number).
const publishAttempts = 5

// PublishPact saves sections as the draft and publishes them as a new,
// immutable version numbered one above the latest. Every section must be
// written in Italian. Errors: kernel.ErrNotFound, *kernel.InvalidError.
func (s *Service) PublishPact(ctx context.Context, processID int64, sections Sections, note kernel.Text) (PactVersion, error) {
	v := &kernel.Validator{}
	sections.Validate(v, true)
	validateText(v, "change_note", note, MaxChangeNoteLen, "")
	if err := v.Err(); err != nil {
		return PactVersion{}, err
	}
	var pv PactVersion
	var err error
	for range publishAttempts {
		now := s.clock.Now()
		by := kernel.ActorFrom(ctx).UserID
		pv = PactVersion{ProcessID: processID, Sections: sections, ChangeNote: note, PublishedAt: now, PublishedBy: by}
		err = s.db.Tx(ctx, func(tx *sql.Tx) error {
			if _, err := getProcess(ctx, tx, processID); err != nil {
				return err
			}
			if err := savePactDraft(ctx, tx, processID, sections, now, by); err != nil {
				return err
			}
			if err := insertPactVersion(ctx, tx, &pv); err != nil {
				return err
			}
			return audit.Record(ctx, tx, now, audit.Entry{Action: "pact.publish", TargetType: "pact_version", TargetID: pv.ID,
				SpaceType: SpaceType, SpaceID: processID, After: pv})
		})
		if !db.IsConflictOn(err, "pact_versions") {
			break
		}
	}
	if err != nil {
		return PactVersion{}, err
	}
	return pv, nil
}

// PactVersions lists a process's published Pact versions, newest first.
func (s *Service) PactVersions(ctx context.Context, processID int64) ([]PactVersion, error) {
	return listPactVersions(ctx, s.db.R(), processID)
}

// PactVersion returns version n. Errors: kernel.ErrNotFound.
func (s *Service) PactVersion(ctx context.Context, processID int64, n int) (PactVersion, error) {
	return getPactVersion(ctx, s.db.R(), processID, n)
}
