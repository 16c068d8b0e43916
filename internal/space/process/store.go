package process

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/arengo/arengo/internal/db"
)

// The SQL is shared by both engines: $n placeholders numbered in order of
// first appearance, times always passed in UTC.

type scanner interface{ Scan(...any) error }

// ---- territories

const territoryColumns = `id, slug, name, kind, COALESCE(parent_id, 0), position`

func scanTerritory(row scanner) (Territory, error) {
	var t Territory
	err := row.Scan(&t.ID, &t.Slug, &t.Name, &t.Kind, &t.ParentID, &t.Position)
	return t, err
}

func listTerritories(ctx context.Context, q db.Querier) ([]Territory, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+territoryColumns+` FROM territories ORDER BY position, id`)
	if err != nil {
		return nil, fmt.Errorf("process: list territories: %w", err)
	}
	defer rows.Close()
	var out []Territory
	for rows.Next() {
		t, err := scanTerritory(rows)
		if err != nil {
			return nil, fmt.Errorf("process: scan territory: %w", err)
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

func getTerritory(ctx context.Context, q db.Querier, id int64) (Territory, error) {
	t, err := scanTerritory(q.QueryRowContext(ctx, `SELECT `+territoryColumns+` FROM territories WHERE id = $1`, id))
	if err != nil {
		return Territory{}, fmt.Errorf("process: territory %d: %w", id, db.Normalize(err))
	}
	return t, nil
}

func insertTerritory(ctx context.Context, q db.Querier, t *Territory) error {
	err := q.QueryRowContext(ctx, `INSERT INTO territories (slug, name, kind, parent_id, position)
		VALUES ($1, $2, $3, $4, (SELECT COALESCE(MAX(position), 0) + 1 FROM territories)) RETURNING id, position`,
		t.Slug, t.Name, t.Kind, nullID(t.ParentID)).Scan(&t.ID, &t.Position)
	if err != nil {
		return fmt.Errorf("process: insert territory: %w", db.Normalize(err))
	}
	return nil
}

func updateTerritory(ctx context.Context, q db.Querier, t Territory) error {
	_, err := q.ExecContext(ctx, `UPDATE territories SET slug = $1, name = $2, kind = $3, parent_id = $4 WHERE id = $5`,
		t.Slug, t.Name, t.Kind, nullID(t.ParentID), t.ID)
	if err != nil {
		return fmt.Errorf("process: update territory: %w", db.Normalize(err))
	}
	return nil
}

func countChildTerritories(ctx context.Context, q db.Querier, id int64) (int, error) {
	var n int
	err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM territories WHERE parent_id = $1`, id).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("process: count child territories: %w", err)
	}
	return n, nil
}

// ---- processes

// processColumns expects the processes table aliased as p.
const processColumns = `p.id, p.slug, p.title, p.subtitle, p.description, COALESCE(p.territory_id, 0), p.starts_on, p.ends_on,
	p.published_at, COALESCE(p.pinned_phase_id, 0), p.created_at, p.updated_at`

func scanProcess(row scanner) (Process, error) {
	var p Process
	var published sql.NullTime
	err := row.Scan(&p.ID, &p.Slug, &p.Title, &p.Subtitle, &p.Description, &p.TerritoryID, &p.StartsOn, &p.EndsOn,
		&published, &p.PinnedPhaseID, &p.CreatedAt, &p.UpdatedAt)
	if published.Valid {
		t := published.Time.UTC()
		p.PublishedAt = &t
	}
	p.StartsOn, p.EndsOn = p.StartsOn.UTC(), p.EndsOn.UTC()
	p.CreatedAt, p.UpdatedAt = p.CreatedAt.UTC(), p.UpdatedAt.UTC()
	return p, err
}

func getProcess(ctx context.Context, q db.Querier, id int64) (Process, error) {
	p, err := scanProcess(q.QueryRowContext(ctx, `SELECT `+processColumns+` FROM processes p WHERE p.id = $1`, id))
	if err != nil {
		return Process{}, fmt.Errorf("process: get %d: %w", id, db.Normalize(err))
	}
	return p, nil
}

func getProcessBySlug(ctx context.Context, q db.Querier, slug string) (Process, error) {
	p, err := scanProcess(q.QueryRowContext(ctx, `SELECT `+processColumns+` FROM processes p WHERE p.slug = $1`, slug))
	if err != nil {
		return Process{}, fmt.Errorf("process: get %q: %w", slug, db.Normalize(err))
	}
	return p, nil
}

func insertProcess(ctx context.Context, q db.Querier, p *Process) error {
	err := q.QueryRowContext(ctx, `INSERT INTO processes (slug, title, subtitle, description, territory_id, starts_on, ends_on, published_at, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) RETURNING id`,
		p.Slug, p.Title, p.Subtitle, p.Description, nullID(p.TerritoryID), p.StartsOn, p.EndsOn, nullTime(p.PublishedAt), p.CreatedAt).Scan(&p.ID)
	if err != nil {
		return fmt.Errorf("process: insert: %w", db.Normalize(err))
	}
	return nil
}

func updateProcess(ctx context.Context, q db.Querier, p Process) error {
	_, err := q.ExecContext(ctx, `UPDATE processes SET slug = $1, title = $2, subtitle = $3, description = $4, territory_id = $5,
		starts_on = $6, ends_on = $7, published_at = $8, updated_at = $9 WHERE id = $10`,
		p.Slug, p.Title, p.Subtitle, p.Description, nullID(p.TerritoryID), p.StartsOn, p.EndsOn, nullTime(p.PublishedAt), p.UpdatedAt, p.ID)
	if err != nil {
		return fmt.Errorf("process: update: %w", db.Normalize(err))
	}
	return nil
}

func setPinnedPhase(ctx context.Context, q db.Querier, processID, phaseID int64, now time.Time) error {
	_, err := q.ExecContext(ctx, `UPDATE processes SET pinned_phase_id = $1, updated_at = $2 WHERE id = $3`, nullID(phaseID), now, processID)
	if err != nil {
		return fmt.Errorf("process: pin phase: %w", err)
	}
	return nil
}

// Filter narrows a listing of processes.
type Filter struct {
	PublishedOnly bool
	TerritoryID   int64  // 0: any
	Status        Status // "": any
	Now           time.Time
	Limit         int // 0: no limit
	Offset        int
}

// where builds the WHERE clause, appending its arguments to args. now is
// the placeholder already bound to f.Now, or "" to bind it only if needed
// (PostgreSQL rejects a bound argument the query never uses).
func (f Filter) where(args *[]any, now string) string {
	arg := func(v any) string { *args = append(*args, v); return fmt.Sprintf("$%d", len(*args)) }
	if now == "" && f.Status != "" {
		now = arg(f.Now.UTC())
	}
	var conds []string
	switch f.Status {
	case StatusUpcoming:
		conds = append(conds, "p.starts_on > "+now)
	case StatusOpen:
		conds = append(conds, "p.starts_on <= "+now+" AND p.ends_on > "+now)
	case StatusClosed:
		conds = append(conds, "p.ends_on <= "+now)
	}
	if f.PublishedOnly {
		conds = append(conds, "p.published_at IS NOT NULL")
	}
	if f.TerritoryID != 0 {
		conds = append(conds, "p.territory_id = "+arg(f.TerritoryID))
	}
	if len(conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(conds, " AND ")
}

// listProcesses returns the processes matching f: open ones first (ending
// soonest first), then upcoming (starting soonest first), then closed (most
// recently ended first); and the total number of matches.
func listProcesses(ctx context.Context, q db.Querier, f Filter) ([]Process, int, error) {
	var countArgs []any
	var total int
	if err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM processes p`+f.where(&countArgs, ""), countArgs...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("process: count: %w", err)
	}
	args := []any{f.Now.UTC()}
	where := f.where(&args, "$1")
	query := `SELECT ` + processColumns + ` FROM processes p` + where + `
		ORDER BY CASE WHEN p.starts_on > $1 THEN 1 WHEN p.ends_on <= $1 THEN 2 ELSE 0 END,
		CASE WHEN p.ends_on > $1 AND p.starts_on <= $1 THEN p.ends_on WHEN p.starts_on > $1 THEN p.starts_on END,
		p.ends_on DESC, p.id DESC`
	if f.Limit > 0 {
		args = append(args, f.Limit, f.Offset)
		query += fmt.Sprintf(" LIMIT $%d OFFSET $%d", len(args)-1, len(args))
	}
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, 0, fmt.Errorf("process: list: %w", err)
	}
	defer rows.Close()
	var out []Process
	for rows.Next() {
		p, err := scanProcess(rows)
		if err != nil {
			return nil, 0, fmt.Errorf("process: scan: %w", err)
		}
		out = append(out, p)
	}
	return out, total, rows.Err()
}

// ---- phases

const phaseColumns = `id, process_id, position, title, description, starts_at, ends_at`

func scanPhase(row scanner) (Phase, error) {
	var ph Phase
	err := row.Scan(&ph.ID, &ph.ProcessID, &ph.Position, &ph.Title, &ph.Description, &ph.StartsAt, &ph.EndsAt)
	ph.StartsAt, ph.EndsAt = ph.StartsAt.UTC(), ph.EndsAt.UTC()
	return ph, err
}

func listPhases(ctx context.Context, q db.Querier, processID int64) ([]Phase, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+phaseColumns+` FROM phases WHERE process_id = $1 ORDER BY position, id`, processID)
	if err != nil {
		return nil, fmt.Errorf("process: list phases: %w", err)
	}
	defer rows.Close()
	var out []Phase
	for rows.Next() {
		ph, err := scanPhase(rows)
		if err != nil {
			return nil, fmt.Errorf("process: scan phase: %w", err)
		}
		out = append(out, ph)
	}
	return out, rows.Err()
}

func insertPhase(ctx context.Context, q db.Querier, ph *Phase) error {
	err := q.QueryRowContext(ctx, `INSERT INTO phases (process_id, position, title, description, starts_at, ends_at)
		VALUES ($1, (SELECT COALESCE(MAX(position), 0) + 1 FROM phases WHERE process_id = $1), $2, $3, $4, $5) RETURNING id, position`,
		ph.ProcessID, ph.Title, ph.Description, ph.StartsAt, ph.EndsAt).Scan(&ph.ID, &ph.Position)
	if err != nil {
		return fmt.Errorf("process: insert phase: %w", db.Normalize(err))
	}
	return nil
}

func updatePhase(ctx context.Context, q db.Querier, ph Phase) error {
	_, err := q.ExecContext(ctx, `UPDATE phases SET title = $1, description = $2, starts_at = $3, ends_at = $4 WHERE id = $5 AND process_id = $6`,
		ph.Title, ph.Description, ph.StartsAt, ph.EndsAt, ph.ID, ph.ProcessID)
	if err != nil {
		return fmt.Errorf("process: update phase: %w", err)
	}
	return nil
}

func deletePhase(ctx context.Context, q db.Querier, processID, phaseID int64) error {
	_, err := q.ExecContext(ctx, `DELETE FROM phases WHERE id = $1 AND process_id = $2`, phaseID, processID)
	if err != nil {
		return fmt.Errorf("process: delete phase: %w", err)
	}
	return nil
}

// swapPhasePositions exchanges two phases' positions. The unique (process_id,
// position) constraint is checked per statement, so one of them parks on a
// free negative position first.
func swapPhasePositions(ctx context.Context, q db.Querier, a, b Phase) error {
	steps := []struct {
		id  int64
		pos int
	}{{a.ID, -a.Position}, {b.ID, a.Position}, {a.ID, b.Position}}
	for _, s := range steps {
		if _, err := q.ExecContext(ctx, `UPDATE phases SET position = $1 WHERE id = $2`, s.pos, s.id); err != nil {
			return fmt.Errorf("process: move phase: %w", db.Normalize(err))
		}
	}
	return nil
}

// ---- Participation Pact

func encodeSections(s Sections) (string, error) {
	clean := Sections{}
	for _, k := range pactSections {
		if t, ok := s[k]; ok {
			clean[k] = t
		}
	}
	b, err := json.Marshal(clean)
	if err != nil {
		return "", fmt.Errorf("process: encode pact: %w", err)
	}
	return string(b), nil
}

func decodeSections(raw string) (Sections, error) {
	s := Sections{}
	if raw == "" {
		return s, nil
	}
	if err := json.Unmarshal([]byte(raw), &s); err != nil {
		return nil, fmt.Errorf("process: decode pact: %w", err)
	}
	return s, nil
}

func getPactDraft(ctx context.Context, q db.Querier, processID int64) (PactDraft, error) {
	var raw string
	d := PactDraft{ProcessID: processID}
	err := q.QueryRowContext(ctx, `SELECT sections, updated_at FROM pact_drafts WHERE process_id = $1`, processID).Scan(&raw, &d.UpdatedAt)
	if err != nil {
		return PactDraft{}, fmt.Errorf("process: pact draft %d: %w", processID, db.Normalize(err))
	}
	d.UpdatedAt = d.UpdatedAt.UTC()
	d.Sections, err = decodeSections(raw)
	return d, err
}

func savePactDraft(ctx context.Context, q db.Querier, processID int64, s Sections, now time.Time, by int64) error {
	raw, err := encodeSections(s)
	if err != nil {
		return err
	}
	_, err = q.ExecContext(ctx, `INSERT INTO pact_drafts (process_id, sections, updated_at, updated_by) VALUES ($1, $2, $3, $4)
		ON CONFLICT (process_id) DO UPDATE SET sections = excluded.sections, updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
		processID, raw, now, nullID(by))
	if err != nil {
		return fmt.Errorf("process: save pact draft: %w", err)
	}
	return nil
}

// insertPactVersion numbers the new version one above the highest so far.
// Two transactions racing compute the same number; the unique (process_id,
// version) constraint rejects the second, which the service retries.
func insertPactVersion(ctx context.Context, q db.Querier, v *PactVersion) error {
	raw, err := encodeSections(v.Sections)
	if err != nil {
		return err
	}
	err = q.QueryRowContext(ctx, `INSERT INTO pact_versions (process_id, version, sections, change_note, published_at, published_by)
		VALUES ($1, (SELECT COALESCE(MAX(version), 0) + 1 FROM pact_versions WHERE process_id = $1), $2, $3, $4, $5) RETURNING id, version`,
		v.ProcessID, raw, v.ChangeNote, v.PublishedAt, nullID(v.PublishedBy)).Scan(&v.ID, &v.Version)
	if err != nil {
		return fmt.Errorf("process: insert pact version: %w", db.Normalize(err))
	}
	return nil
}

const pactVersionColumns = `id, process_id, version, sections, change_note, published_at, COALESCE(published_by, 0)`

func scanPactVersion(row scanner) (PactVersion, error) {
	var v PactVersion
	var raw string
	if err := row.Scan(&v.ID, &v.ProcessID, &v.Version, &raw, &v.ChangeNote, &v.PublishedAt, &v.PublishedBy); err != nil {
		return PactVersion{}, err
	}
	v.PublishedAt = v.PublishedAt.UTC()
	var err error
	v.Sections, err = decodeSections(raw)
	return v, err
}

func listPactVersions(ctx context.Context, q db.Querier, processID int64) ([]PactVersion, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+pactVersionColumns+` FROM pact_versions WHERE process_id = $1 ORDER BY version DESC`, processID)
	if err != nil {
		return nil, fmt.Errorf("process: list pact versions: %w", err)
	}
	defer rows.Close()
	var out []PactVersion
	for rows.Next() {
		v, err := scanPactVersion(rows)
		if err != nil {
			return nil, fmt.Errorf("process: scan pact version: %w", err)
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

func getPactVersion(ctx context.Context, q db.Querier, processID int64, version int) (PactVersion, error) {
	v, err := scanPactVersion(q.QueryRowContext(ctx, `SELECT `+pactVersionColumns+` FROM pact_versions WHERE process_id = $1 AND version = $2`, processID, version))
	if err != nil {
		return PactVersion{}, fmt.Errorf("process: pact version %d/%d: %w", processID, version, db.Normalize(err))
	}
	return v, nil
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

func nullTime(t *time.Time) any {
	if t == nil {
		return nil
	}
	return t.UTC()
}

func getPhase(ctx context.Context, q db.Querier, processID, phaseID int64) (Phase, error) {
	ph, err := scanPhase(q.QueryRowContext(ctx, `SELECT `+phaseColumns+` FROM phases WHERE id = $1 AND process_id = $2`, phaseID, processID))
	if err != nil {
		return Phase{}, fmt.Errorf("process: phase %d: %w", phaseID, db.Normalize(err))
	}
	return ph, nil
}
