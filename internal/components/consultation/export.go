package consultation

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/arengo/arengo/internal/component"
	"github.com/arengo/arengo/internal/csvsafe"
	"github.com/arengo/arengo/internal/kernel"
	"github.com/arengo/arengo/internal/moderation"
)

// Open-data datasets of a consultation.
const (
	DatasetParagraphs   = "consultation_paragraphs"
	DatasetObservations = "consultation_observations"
	DatasetComments     = "consultation_comments"
	DatasetReplies      = "consultation_replies"
)

// Datasets lists them in display order.
func Datasets() []string {
	return []string{DatasetParagraphs, DatasetObservations, DatasetComments, DatasetReplies}
}

// Formats of an export.
const (
	FormatCSV  = "csv"
	FormatJSON = "json"
)

// columns and a row source make a dataset; values are string, int, int64,
// bool or time.Time (zero → empty/null).
type dataset struct {
	columns []string
	rows    func(ctx context.Context, componentID int64, emit func(values ...any) error) error
}

func (m *Module) dataset(name string) (dataset, bool) {
	switch name {
	case DatasetParagraphs:
		return dataset{[]string{"paragraph_id", "section_number", "section_label", "section_title_it", "section_title_en", "paragraph_number",
			"text", "added_in_version", "changed_in_version", "current"}, m.paragraphRows}, true
	case DatasetObservations:
		return dataset{[]string{"observation_id", "protocol", "paragraph_id", "section_number", "section_label", "paragraph_number", "kind",
			"status", "author", "text", "proposed_wording", "paragraph_text_when_filed", "version", "supports", "comments", "filed_at",
			"updated_at", "withdrawn_at", "hidden", "outcome", "reply_published_at", "attachment"}, m.observationRows}, true
	case DatasetComments:
		return dataset{[]string{"comment_id", "observation_id", "protocol", "parent_id", "depth", "author", "alignment", "text",
			"created_at", "edited_at"}, m.commentRows}, true
	case DatasetReplies:
		return dataset{[]string{"observation_id", "protocol", "outcome", "outcome_label_it", "outcome_label_en", "reply", "office",
			"published_at", "publication_note", "decided_on"}, m.replyRows}, true
	}
	return dataset{}, false
}

// Export writes dataset name of component componentID to w in format,
// streaming: rows are written as they are read. Authors appear by
// nickname only; hidden and withdrawn observations keep their protocol
// number but not their text.
func (m *Module) Export(ctx context.Context, componentID int64, name, format string, w io.Writer) error {
	ds, ok := m.dataset(name)
	if !ok {
		return fmt.Errorf("consultation: dataset %q: %w", name, kernel.ErrNotFound)
	}
	bw := bufio.NewWriterSize(w, 32<<10)
	switch format {
	case FormatCSV:
		cw := csv.NewWriter(bw)
		if err := cw.Write(ds.columns); err != nil {
			return err
		}
		err := ds.rows(ctx, componentID, func(values ...any) error {
			rec := make([]string, len(values))
			for i, v := range values {
				rec[i] = csvCell(v)
			}
			return cw.Write(rec)
		})
		if err != nil {
			return err
		}
		cw.Flush()
		if err := cw.Error(); err != nil {
			return err
		}
	case FormatJSON:
		if _, err := bw.WriteString("["); err != nil {
			return err
		}
		first := true
		err := ds.rows(ctx, componentID, func(values ...any) error {
			if !first {
				bw.WriteString(",")
			}
			first = false
			bw.WriteString("\n{")
			for i, v := range values {
				if i > 0 {
					bw.WriteString(",")
				}
				k, _ := json.Marshal(ds.columns[i])
				bw.Write(k)
				bw.WriteString(":")
				b, err := json.Marshal(jsonValue(v))
				if err != nil {
					return err
				}
				bw.Write(b)
			}
			_, err := bw.WriteString("}")
			return err
		})
		if err != nil {
			return err
		}
		if _, err := bw.WriteString("\n]\n"); err != nil {
			return err
		}
	default:
		return fmt.Errorf("consultation: format %q: %w", format, kernel.ErrNotFound)
	}
	return bw.Flush()
}

func jsonValue(v any) any {
	if t, ok := v.(time.Time); ok {
		if t.IsZero() {
			return nil
		}
		return t.UTC().Format(time.RFC3339)
	}
	return v
}

// csvCell formats a value; text that a spreadsheet would run as a formula
// gets a leading apostrophe (the report goes to people who open it in one).
func csvCell(v any) string {
	switch x := v.(type) {
	case time.Time:
		if x.IsZero() {
			return ""
		}
		return x.UTC().Format(time.RFC3339)
	case string:
		return csvsafe.Cell(x)
	case bool:
		if x {
			return "true"
		}
		return "false"
	}
	return fmt.Sprint(v)
}

func (m *Module) paragraphRows(ctx context.Context, componentID int64, emit func(...any) error) error {
	rows, err := m.db.R().QueryContext(ctx, `SELECT p.id, s.number, s.label, s.title, p.number, p.body, p.added_version, p.changed_version,
		CASE WHEN p.retired_at IS NULL AND s.retired_at IS NULL THEN 1 ELSE 0 END
		FROM consultation_paragraphs p JOIN consultation_sections s ON s.id = p.section_id
		WHERE p.component_id = $1 ORDER BY CASE WHEN p.retired_at IS NULL THEN 0 ELSE 1 END, p.position, p.id`, componentID)
	if err != nil {
		return fmt.Errorf("consultation: export paragraphs: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var sec Section
		var p Paragraph
		var current int
		if err := rows.Scan(&p.ID, &sec.Number, &sec.Label, &sec.Title, &p.Number, &p.Body, &p.AddedVersion, &p.ChangedVersion, &current); err != nil {
			return fmt.Errorf("consultation: export paragraphs: %w", err)
		}
		if err := emit(p.ID, sec.Number, sec.Label, sec.Title["it"], sec.Title["en"], p.Number, p.Body, p.AddedVersion, p.ChangedVersion, current == 1); err != nil {
			return err
		}
	}
	return rows.Err()
}

// chunk is how many observations are resolved against moderation at once
// while streaming.
const chunk = 500

// eachPublic streams observations in document order, marking hidden ones
// chunk by chunk and dropping unpublished replies.
func (m *Module) eachPublic(ctx context.Context, componentID int64, fn func(*Observation) error) error {
	var buf []*Observation
	flush := func() error {
		if err := m.decorate(ctx, buf, false); err != nil {
			return err
		}
		for _, o := range buf {
			if err := fn(o); err != nil {
				return err
			}
		}
		buf = buf[:0]
		return nil
	}
	err := m.st.each(ctx, componentID, ListFilter{Sort: SortDocument}, func(o *Observation) error {
		buf = append(buf, o)
		if len(buf) == chunk {
			return flush()
		}
		return nil
	})
	if err != nil {
		return err
	}
	return flush()
}

// attachmentURL is the absolute download address of o's attachment, or ""
// when it has none or it is not public. prefix is observationURL's result.
func (m *Module) attachmentURL(prefix string, o *Observation) string {
	if o.AttachmentName == "" || o.Withdrawn() || o.Hidden() {
		return ""
	}
	return m.opt.BaseURL + prefix + strconv.FormatInt(o.ID, 10) + "/attachment"
}

func (m *Module) observationRows(ctx context.Context, componentID int64, emit func(...any) error) error {
	prefix, err := m.observationURL(ctx, componentID)
	if err != nil {
		return err
	}
	return m.eachPublic(ctx, componentID, func(o *Observation) error {
		body, proposed := o.Body, o.Proposed
		if o.Withdrawn() || o.Hidden() {
			body, proposed = "", ""
		}
		outcome, published := "", time.Time{}
		if o.Answered() {
			outcome, published = o.Reply.Outcome, o.Reply.PublishedAt
		}
		return emit(o.ID, o.Protocol, o.ParagraphID, o.SectionNumber, o.SectionLabel, o.ParagraphNumber, o.Kind, o.Status,
			o.AuthorNickname, body, proposed, o.ParagraphText, o.Version, o.Supports, o.Comments, o.CreatedAt, o.UpdatedAt,
			o.WithdrawnAt, o.Hidden(), outcome, published, m.attachmentURL(prefix, o))
	})
}

func (m *Module) replyRows(ctx context.Context, componentID int64, emit func(...any) error) error {
	cons, err := m.Get(ctx, componentID)
	if err != nil {
		return err
	}
	rows, err := m.db.R().QueryContext(ctx, `SELECT o.id, o.protocol, r.outcome, r.body, r.office, r.published_at, COALESCE(pb.note, ''), COALESCE(pb.decided_on, '')
		FROM consultation_replies r JOIN consultation_observations o ON o.id = r.observation_id
		JOIN consultation_paragraphs p ON p.id = o.paragraph_id
		LEFT JOIN consultation_reply_publications pb ON pb.id = r.publication_id
		WHERE r.component_id = $1 AND r.published_at IS NOT NULL AND o.status = 'filed' ORDER BY p.position, o.id`, componentID)
	if err != nil {
		return fmt.Errorf("consultation: export replies: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var protocol, outcome, body, office, note, decided string
		var at time.Time
		if err := rows.Scan(&id, &protocol, &outcome, &body, &office, &at, &note, &decided); err != nil {
			return fmt.Errorf("consultation: export replies: %w", err)
		}
		if err := emit(id, protocol, outcome, m.OutcomeLabel(cons, outcome, "it"), m.OutcomeLabel(cons, outcome, "en"), body, office, at, note, decided); err != nil {
			return err
		}
	}
	return rows.Err()
}

// commentRows reads the comments on this consultation's observations
// straight from the comments table (a read-only join: the comments
// package has no export of its own yet). Deleted comments, hidden ones and
// those by blocked participants are left out.
func (m *Module) commentRows(ctx context.Context, componentID int64, emit func(...any) error) error {
	type row struct {
		id, obs, parent int64
		protocol        string
		depth           int
		author, align   string
		body            string
		created, edited time.Time
	}
	var buf []row
	flush := func() error {
		refs := make([]moderation.Ref, len(buf))
		for i, r := range buf {
			refs[i] = moderation.Ref{Type: "comment", ID: r.id}
		}
		hidden := map[moderation.Ref]moderation.Hidden{}
		if m.mod != nil && len(refs) > 0 {
			var err error
			if hidden, err = m.mod.HiddenSet(ctx, refs); err != nil {
				return err
			}
		}
		for _, r := range buf {
			if _, h := hidden[moderation.Ref{Type: "comment", ID: r.id}]; h {
				continue
			}
			if err := emit(r.id, r.obs, r.protocol, r.parent, r.depth, r.author, r.align, r.body, r.created, r.edited); err != nil {
				return err
			}
		}
		buf = buf[:0]
		return nil
	}
	rows, err := m.db.R().QueryContext(ctx, `SELECT c.id, o.id, o.protocol, COALESCE(c.parent_id, 0), c.depth, COALESCE(u.nickname, ''), c.alignment, c.body, c.created_at, c.edited_at
		FROM comments c JOIN consultation_observations o ON c.ref_type = 'observation' AND o.id = c.ref_id
		LEFT JOIN users u ON u.id = c.author_id
		WHERE o.component_id = $1 AND c.deleted_at IS NULL AND u.blocked_at IS NULL ORDER BY o.id, c.id`, componentID)
	if err != nil {
		return fmt.Errorf("consultation: export comments: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var r row
		var edited sql.NullTime
		if err := rows.Scan(&r.id, &r.obs, &r.protocol, &r.parent, &r.depth, &r.author, &r.align, &r.body, &r.created, &edited); err != nil {
			return fmt.Errorf("consultation: export comments: %w", err)
		}
		r.edited = edited.Time
		buf = append(buf, r)
		if len(buf) == chunk {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	return flush()
}

// exporter is a manifest exporter: one dataset as JSON.
type exporter struct {
	m       *Module
	dataset string
}

func (e exporter) Dataset() string { return e.dataset }

func (e exporter) Export(ctx context.Context, c component.Component, w io.Writer) error {
	return e.m.Export(ctx, c.ID, e.dataset, FormatJSON, w)
}
