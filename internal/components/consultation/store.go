package consultation

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/arengo/arengo/internal/db"
	"github.com/arengo/arengo/internal/kernel"
)

// store is the SQL of consultations. Reads that show pages use the reader
// pool; reads inside a use case take the transaction as q.
type store struct{ db *db.DB }

func (s store) consultation(ctx context.Context, q db.Querier, componentID int64) (Consultation, error) {
	c := Consultation{ComponentID: componentID}
	var labels string
	err := q.QueryRowContext(ctx, `SELECT protocol_prefix, max_observation_length, outcome_labels, document_version, document_title, updated_at
		FROM consultations WHERE component_id = $1`, componentID).
		Scan(&c.ProtocolPrefix, &c.MaxLength, &labels, &c.DocumentVersion, &c.DocumentTitle, &c.UpdatedAt)
	if err != nil {
		return Consultation{}, fmt.Errorf("consultation: get %d: %w", componentID, db.Normalize(err))
	}
	c.OutcomeLabels = map[string]kernel.Text{}
	if labels != "" {
		if err := json.Unmarshal([]byte(labels), &c.OutcomeLabels); err != nil {
			return Consultation{}, fmt.Errorf("consultation: outcome labels: %w", err)
		}
	}
	return c, nil
}

func labelsJSON(m map[string]kernel.Text) string {
	if m == nil {
		m = map[string]kernel.Text{}
	}
	b, _ := json.Marshal(m)
	return string(b)
}

// document loads the current (not retired) sections and paragraphs in
// order: two queries whatever the document's size.
func (s store) document(ctx context.Context, componentID int64) ([]*Section, map[int64]*Paragraph, error) {
	rows, err := s.db.R().QueryContext(ctx, `SELECT id, number, label, title, position FROM consultation_sections
		WHERE component_id = $1 AND retired_at IS NULL ORDER BY position, id`, componentID)
	if err != nil {
		return nil, nil, fmt.Errorf("consultation: sections: %w", err)
	}
	var sections []*Section
	byID := map[int64]*Section{}
	for rows.Next() {
		sec := &Section{}
		if err := rows.Scan(&sec.ID, &sec.Number, &sec.Label, &sec.Title, &sec.Position); err != nil {
			rows.Close()
			return nil, nil, fmt.Errorf("consultation: sections: %w", err)
		}
		sections = append(sections, sec)
		byID[sec.ID] = sec
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("consultation: sections: %w", err)
	}
	rows, err = s.db.R().QueryContext(ctx, `SELECT id, section_id, number, body, position, added_version, changed_version FROM consultation_paragraphs
		WHERE component_id = $1 AND retired_at IS NULL ORDER BY position, id`, componentID)
	if err != nil {
		return nil, nil, fmt.Errorf("consultation: paragraphs: %w", err)
	}
	defer rows.Close()
	paras := map[int64]*Paragraph{}
	for rows.Next() {
		p := &Paragraph{}
		if err := rows.Scan(&p.ID, &p.SectionID, &p.Number, &p.Body, &p.Position, &p.AddedVersion, &p.ChangedVersion); err != nil {
			return nil, nil, fmt.Errorf("consultation: paragraphs: %w", err)
		}
		if sec := byID[p.SectionID]; sec != nil {
			p.Section = sec
			sec.Paragraphs = append(sec.Paragraphs, p)
			paras[p.ID] = p
		}
	}
	return sections, paras, rows.Err()
}

// paragraph loads one paragraph (retired or not) with its section.
func (s store) paragraph(ctx context.Context, q db.Querier, componentID, id int64) (*Paragraph, error) {
	p := &Paragraph{Section: &Section{}}
	var pRetired, sRetired sql.NullTime
	err := q.QueryRowContext(ctx, `SELECT p.id, p.section_id, p.number, p.body, p.position, p.added_version, p.changed_version, p.retired_at,
			s.number, s.label, s.title, s.position, s.retired_at
		FROM consultation_paragraphs p JOIN consultation_sections s ON s.id = p.section_id
		WHERE p.id = $1 AND p.component_id = $2`, id, componentID).
		Scan(&p.ID, &p.SectionID, &p.Number, &p.Body, &p.Position, &p.AddedVersion, &p.ChangedVersion, &pRetired,
			&p.Section.Number, &p.Section.Label, &p.Section.Title, &p.Section.Position, &sRetired)
	if err != nil {
		return nil, fmt.Errorf("consultation: paragraph %d: %w", id, db.Normalize(err))
	}
	p.Section.ID = p.SectionID
	p.Retired = pRetired.Valid || sRetired.Valid
	p.Section.Retired = sRetired.Valid
	return p, nil
}

// paragraphStats returns, per paragraph, the observations not withdrawn by
// published outcome ("" for not yet answered), whatever the document's
// size in two queries that read only indexes (0071): joining them in SQL
// would fetch every reply's row, texts included, and took twice as long
// with 5,000 observations.
func (s store) paragraphStats(ctx context.Context, componentID int64) (map[int64]map[string]int, error) {
	rows, err := s.db.R().QueryContext(ctx, `SELECT id, paragraph_id FROM consultation_observations
		WHERE component_id = $1 AND status = 'filed'`, componentID)
	if err != nil {
		return nil, fmt.Errorf("consultation: paragraph stats: %w", err)
	}
	paraOf := map[int64]int64{}
	out := map[int64]map[string]int{}
	for rows.Next() {
		var id, pid int64
		if err := rows.Scan(&id, &pid); err != nil {
			rows.Close()
			return nil, fmt.Errorf("consultation: paragraph stats: %w", err)
		}
		paraOf[id] = pid
		if out[pid] == nil {
			out[pid] = map[string]int{}
		}
		out[pid][""]++
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("consultation: paragraph stats: %w", err)
	}
	rows, err = s.db.R().QueryContext(ctx, `SELECT observation_id, outcome FROM consultation_replies
		WHERE component_id = $1 AND published_at IS NOT NULL`, componentID)
	if err != nil {
		return nil, fmt.Errorf("consultation: paragraph outcomes: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var outcome string
		if err := rows.Scan(&id, &outcome); err != nil {
			return nil, fmt.Errorf("consultation: paragraph outcomes: %w", err)
		}
		pid, ok := paraOf[id]
		if !ok {
			continue // withdrawn after its reply was published
		}
		byOutcome := out[pid]
		byOutcome[outcome]++
		if byOutcome[""]--; byOutcome[""] == 0 {
			delete(byOutcome, "")
		}
	}
	return out, rows.Err()
}

const observationColumns = `o.id, o.component_id, o.paragraph_id, o.section_id, o.protocol, COALESCE(o.author_id, 0), COALESCE(u.nickname, ''),
	CASE WHEN u.blocked_at IS NULL THEN 0 ELSE 1 END, o.kind, o.body, o.proposed, o.paragraph_text, o.version, o.supports_count,
	(SELECT COUNT(*) FROM comments c WHERE c.ref_type = 'observation' AND c.ref_id = o.id AND c.deleted_at IS NULL),
	o.status, o.created_at, o.updated_at, o.withdrawn_at, s.number, s.label, s.title, p.number,
	r.outcome, r.body, r.office, COALESCE(r.drafted_by, 0), r.drafted_at, r.updated_at, r.published_at,
	COALESCE(att.file_name, ''), COALESCE(att.size, 0), COALESCE(att.sha256, '')`

const observationFrom = ` FROM consultation_observations o
	JOIN consultation_sections s ON s.id = o.section_id
	JOIN consultation_paragraphs p ON p.id = o.paragraph_id
	LEFT JOIN users u ON u.id = o.author_id
	LEFT JOIN consultation_replies r ON r.observation_id = o.id
	LEFT JOIN consultation_observation_attachments att ON att.observation_id = o.id`

func scanObservation(row interface{ Scan(...any) error }) (*Observation, error) {
	o := &Observation{}
	var blocked int
	var withdrawn, draftedAt, updatedAt, publishedAt sql.NullTime
	var outcome, body, office sql.NullString
	var draftedBy int64
	err := row.Scan(&o.ID, &o.ComponentID, &o.ParagraphID, &o.SectionID, &o.Protocol, &o.AuthorID, &o.AuthorNickname,
		&blocked, &o.Kind, &o.Body, &o.Proposed, &o.ParagraphText, &o.Version, &o.Supports, &o.Comments,
		&o.Status, &o.CreatedAt, &o.UpdatedAt, &withdrawn, &o.SectionNumber, &o.SectionLabel, &o.SectionTitle, &o.ParagraphNumber,
		&outcome, &body, &office, &draftedBy, &draftedAt, &updatedAt, &publishedAt,
		&o.AttachmentName, &o.AttachmentSize, &o.AttachmentSHA256)
	if err != nil {
		return nil, err
	}
	o.AuthorBlocked = blocked == 1
	o.WithdrawnAt = withdrawn.Time
	if outcome.Valid {
		o.Reply = &Reply{ObservationID: o.ID, Outcome: outcome.String, Body: body.String, Office: office.String,
			DraftedBy: draftedBy, DraftedAt: draftedAt.Time, UpdatedAt: updatedAt.Time, PublishedAt: publishedAt.Time}
	}
	return o, nil
}

func (s store) observation(ctx context.Context, q db.Querier, componentID, id int64) (*Observation, error) {
	o, err := scanObservation(q.QueryRowContext(ctx, `SELECT `+observationColumns+observationFrom+` WHERE o.id = $1 AND o.component_id = $2`, id, componentID))
	if err != nil {
		return nil, fmt.Errorf("consultation: observation %d: %w", id, db.Normalize(err))
	}
	return o, nil
}

// Sort orders of the observation list.
const (
	SortNewest    = "newest"
	SortSupported = "supported"
	SortCommented = "commented"
	SortDocument  = "document" // paragraph order, then filing order (the report)
)

// Sorts lists the orders offered to the public.
func Sorts() []string { return []string{SortNewest, SortSupported, SortCommented} }

// ListFilter narrows and orders a list of observations.
type ListFilter struct {
	SectionID   int64
	ParagraphID int64
	Kind        string
	Status      string // "", filed (awaiting a reply), withdrawn, answered
	Outcome     string // a published outcome
	Sort        string
	Limit       int // 0: no limit
	Offset      int
}

func (f ListFilter) where(componentID int64) (string, []any) {
	args := []any{componentID}
	conds := []string{"o.component_id = $1"}
	add := func(cond string, v any) {
		args = append(args, v)
		conds = append(conds, strings.ReplaceAll(cond, "?", "$"+strconv.Itoa(len(args))))
	}
	if f.SectionID > 0 {
		add("o.section_id = ?", f.SectionID)
	}
	if f.ParagraphID > 0 {
		add("o.paragraph_id = ?", f.ParagraphID)
	}
	if ValidKind(f.Kind) {
		add("o.kind = ?", f.Kind)
	}
	switch f.Status {
	case StatusFiled:
		conds = append(conds, "o.status = 'filed' AND r.published_at IS NULL")
	case StatusWithdrawn:
		conds = append(conds, "o.status = 'withdrawn'")
	case StatusAnswered:
		conds = append(conds, "o.status = 'filed' AND r.published_at IS NOT NULL")
	}
	if ValidOutcome(f.Outcome) {
		add("o.status = 'filed' AND r.published_at IS NOT NULL AND r.outcome = ?", f.Outcome)
	}
	return " WHERE " + strings.Join(conds, " AND "), args
}

func (f ListFilter) order() string {
	switch f.Sort {
	case SortSupported:
		return " ORDER BY o.supports_count DESC, o.id DESC"
	case SortCommented:
		return " ORDER BY 15 DESC, o.id DESC" // the comments count column
	case SortDocument:
		return " ORDER BY p.position, o.id"
	}
	return " ORDER BY o.created_at DESC, o.id DESC"
}

// list returns one page of observations and the total matching the filter.
func (s store) list(ctx context.Context, componentID int64, f ListFilter) ([]*Observation, int, error) {
	where, args := f.where(componentID)
	var total int
	// The filters read only o and r; sections and paragraphs always match
	// (foreign keys), so the count skips joining them and the authors.
	if err := s.db.R().QueryRowContext(ctx, `SELECT COUNT(*) FROM consultation_observations o
		LEFT JOIN consultation_replies r ON r.observation_id = o.id`+where, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("consultation: count observations: %w", err)
	}
	var out []*Observation
	err := s.each(ctx, componentID, f, func(o *Observation) error {
		out = append(out, o)
		return nil
	})
	return out, total, err
}

// each streams the observations matching f to fn, one row at a time (the
// report and the exports of thousands of observations never hold them all).
func (s store) each(ctx context.Context, componentID int64, f ListFilter, fn func(*Observation) error) error {
	where, args := f.where(componentID)
	query := `SELECT ` + observationColumns + observationFrom + where + f.order()
	if f.Limit > 0 {
		query += fmt.Sprintf(" LIMIT %d OFFSET %d", f.Limit, max(f.Offset, 0))
	}
	rows, err := s.db.R().QueryContext(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("consultation: list observations: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		o, err := scanObservation(rows)
		if err != nil {
			return fmt.Errorf("consultation: scan observation: %w", err)
		}
		if err := fn(o); err != nil {
			return err
		}
	}
	return rows.Err()
}

func (s store) versions(ctx context.Context, observationID int64) ([]Version, error) {
	rows, err := s.db.R().QueryContext(ctx, `SELECT version, kind, body, proposed, created_at FROM consultation_observation_versions
		WHERE observation_id = $1 ORDER BY version`, observationID)
	if err != nil {
		return nil, fmt.Errorf("consultation: versions: %w", err)
	}
	defer rows.Close()
	var out []Version
	for rows.Next() {
		var v Version
		if err := rows.Scan(&v.Version, &v.Kind, &v.Body, &v.Proposed, &v.CreatedAt); err != nil {
			return nil, fmt.Errorf("consultation: versions: %w", err)
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

func (s store) supported(ctx context.Context, observationID, userID int64) (bool, error) {
	var n int
	err := s.db.R().QueryRowContext(ctx, `SELECT COUNT(*) FROM consultation_supports WHERE observation_id = $1 AND user_id = $2`, observationID, userID).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("consultation: supported: %w", err)
	}
	return n > 0, nil
}

func (s store) attachments(ctx context.Context, q db.Querier, componentID int64) ([]Attachment, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, title, url, position FROM consultation_attachments WHERE component_id = $1 ORDER BY position, id`, componentID)
	if err != nil {
		return nil, fmt.Errorf("consultation: attachments: %w", err)
	}
	defer rows.Close()
	var out []Attachment
	for rows.Next() {
		var a Attachment
		if err := rows.Scan(&a.ID, &a.Title, &a.URL, &a.Position); err != nil {
			return nil, fmt.Errorf("consultation: attachments: %w", err)
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// outcomeCounts counts the published replies by outcome.
func (s store) outcomeCounts(ctx context.Context, componentID int64) (map[string]int, int, error) {
	rows, err := s.db.R().QueryContext(ctx, `SELECT COALESCE(r.outcome, ''), COUNT(*) FROM consultation_observations o
		LEFT JOIN consultation_replies r ON r.observation_id = o.id AND r.published_at IS NOT NULL
		WHERE o.component_id = $1 AND o.status = 'filed' GROUP BY COALESCE(r.outcome, '')`, componentID)
	if err != nil {
		return nil, 0, fmt.Errorf("consultation: outcome counts: %w", err)
	}
	defer rows.Close()
	out := map[string]int{}
	total := 0
	for rows.Next() {
		var o string
		var n int
		if err := rows.Scan(&o, &n); err != nil {
			return nil, 0, fmt.Errorf("consultation: outcome counts: %w", err)
		}
		out[o] = n
		total += n
	}
	return out, total, rows.Err()
}

func (s store) publications(ctx context.Context, componentID int64) ([]Publication, error) {
	rows, err := s.db.R().QueryContext(ctx, `SELECT id, note, decided_on, replies_count, published_at FROM consultation_reply_publications
		WHERE component_id = $1 ORDER BY id DESC`, componentID)
	if err != nil {
		return nil, fmt.Errorf("consultation: publications: %w", err)
	}
	defer rows.Close()
	var out []Publication
	for rows.Next() {
		var p Publication
		if err := rows.Scan(&p.ID, &p.Note, &p.DecidedOn, &p.Count, &p.PublishedAt); err != nil {
			return nil, fmt.Errorf("consultation: publications: %w", err)
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// draftCount counts replies drafted and not yet published on observations
// still filed.
func (s store) draftCount(ctx context.Context, q db.Querier, componentID int64) (int, error) {
	var n int
	err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM consultation_replies r JOIN consultation_observations o ON o.id = r.observation_id
		WHERE r.component_id = $1 AND r.published_at IS NULL AND o.status = 'filed'`, componentID).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("consultation: drafts: %w", err)
	}
	return n, nil
}

// userContact is what a receipt or notice email needs.
type userContact struct {
	ID       int64
	Email    string
	Nickname string
	Locale   string
}

func (s store) contact(ctx context.Context, q db.Querier, userID int64) (userContact, error) {
	u := userContact{ID: userID}
	var email, nick sql.NullString
	err := q.QueryRowContext(ctx, `SELECT email, nickname, locale FROM users WHERE id = $1 AND deleted_at IS NULL`, userID).Scan(&email, &nick, &u.Locale)
	if err != nil {
		return u, fmt.Errorf("consultation: user %d: %w", userID, db.Normalize(err))
	}
	u.Email, u.Nickname = email.String, nick.String
	if !kernel.ValidLocale(u.Locale) {
		u.Locale = kernel.LocaleIT
	}
	return u, nil
}

// place is where a component lives: its process slug (for links) and space.
type place struct {
	ComponentID int64
	ProcessID   int64
	Slug        string
	Published   bool // component and process both published
}

func (s store) places(ctx context.Context, componentIDs []int64) (map[int64]place, error) {
	out := map[int64]place{}
	if len(componentIDs) == 0 {
		return out, nil
	}
	ph := make([]string, len(componentIDs))
	args := make([]any, len(componentIDs))
	for i, id := range componentIDs {
		ph[i] = "$" + strconv.Itoa(i+1)
		args[i] = id
	}
	rows, err := s.db.R().QueryContext(ctx, `SELECT c.id, p.id, p.slug, c.published_at, p.published_at FROM components c
		JOIN processes p ON c.space_type = 'process' AND p.id = c.space_id WHERE c.id IN (`+strings.Join(ph, ", ")+`)`, args...)
	if err != nil {
		return nil, fmt.Errorf("consultation: places: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var pl place
		var cp, pp sql.NullTime
		if err := rows.Scan(&pl.ComponentID, &pl.ProcessID, &pl.Slug, &cp, &pp); err != nil {
			return nil, fmt.Errorf("consultation: places: %w", err)
		}
		pl.Published = cp.Valid && pp.Valid
		out[pl.ComponentID] = pl
	}
	return out, rows.Err()
}

// observationComponents maps observation IDs to their component and author.
func (s store) observationHeads(ctx context.Context, ids []int64) (map[int64]*Observation, error) {
	out := map[int64]*Observation{}
	if len(ids) == 0 {
		return out, nil
	}
	ph := make([]string, len(ids))
	args := make([]any, len(ids))
	for i, id := range ids {
		ph[i] = "$" + strconv.Itoa(i+1)
		args[i] = id
	}
	rows, err := s.db.R().QueryContext(ctx, `SELECT `+observationColumns+observationFrom+` WHERE o.id IN (`+strings.Join(ph, ", ")+`)`, args...)
	if err != nil {
		return nil, fmt.Errorf("consultation: observations by id: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		o, err := scanObservation(rows)
		if err != nil {
			return nil, fmt.Errorf("consultation: observations by id: %w", err)
		}
		out[o.ID] = o
	}
	return out, rows.Err()
}

func rome() *time.Location {
	loc, err := time.LoadLocation("Europe/Rome")
	if err != nil {
		return time.FixedZone("CET", 3600)
	}
	return loc
}
