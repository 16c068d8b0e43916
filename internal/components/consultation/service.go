package consultation

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/arengo/arengo/internal/audit"
	"github.com/arengo/arengo/internal/authz"
	"github.com/arengo/arengo/internal/component"
	"github.com/arengo/arengo/internal/db"
	"github.com/arengo/arengo/internal/i18n"
	"github.com/arengo/arengo/internal/kernel"
	"github.com/arengo/arengo/internal/mail"
	"github.com/arengo/arengo/internal/moderation"
)

// Audit actions.
const (
	AuditSettings         = "consultation.settings"
	AuditImport           = "consultation.import"
	AuditAttachmentAdd    = "consultation.attachment.add"
	AuditAttachmentDelete = "consultation.attachment.delete"
	AuditFile             = "consultation.observation.file"
	AuditEdit             = "consultation.observation.edit"
	AuditWithdraw         = "consultation.observation.withdraw"
	AuditReplyDraft       = "consultation.reply.draft"
	AuditRepliesPublish   = "consultation.replies.publish"
)

// NotificationReply is the in-app notification kind of a published reply.
const NotificationReply = "consultation.reply"

func (m *Module) record(ctx context.Context, tx *sql.Tx, now time.Time, c component.Component, action, targetType string, targetID int64, before, after any) error {
	return audit.Record(ctx, tx, now, audit.Entry{Action: action, TargetType: targetType, TargetID: targetID,
		SpaceType: c.Space.Type, SpaceID: c.Space.ID, Before: before, After: after})
}

// Get returns the consultation of component id.
func (m *Module) Get(ctx context.Context, componentID int64) (Consultation, error) {
	return m.st.consultation(ctx, m.db.R(), componentID)
}

// Document is everything the document page shows.
type Document struct {
	Consultation Consultation
	Sections     []*Section
	Paragraphs   map[int64]*Paragraph
	Attachments  []Attachment
	Outcomes     map[string]int // observations not withdrawn by published outcome; "" awaiting a reply
	Total        int
}

// Document loads the current document with each paragraph's observation
// counts, in a fixed number of queries whatever its size.
func (m *Module) Document(ctx context.Context, componentID int64) (*Document, error) {
	c, err := m.Get(ctx, componentID)
	if err != nil {
		return nil, err
	}
	secs, paras, err := m.st.document(ctx, componentID)
	if err != nil {
		return nil, err
	}
	stats, err := m.st.paragraphStats(ctx, componentID)
	if err != nil {
		return nil, err
	}
	d := &Document{Consultation: c, Sections: secs, Paragraphs: paras, Outcomes: map[string]int{}}
	for pid, byOutcome := range stats {
		p := paras[pid]
		for o, n := range byOutcome {
			d.Outcomes[o] += n
			d.Total += n
			if p == nil {
				continue // a retired paragraph: counted in the totals only
			}
			p.Observations += n
			if o != "" {
				if p.Outcomes == nil {
					p.Outcomes = map[string]int{}
				}
				p.Outcomes[o] = n
			}
		}
	}
	if d.Attachments, err = m.st.attachments(ctx, m.db.R(), componentID); err != nil {
		return nil, err
	}
	return d, nil
}

// Paragraph returns one paragraph of the component (retired ones too:
// observations stay attached to them).
func (m *Module) Paragraph(ctx context.Context, componentID, id int64) (*Paragraph, error) {
	return m.st.paragraph(ctx, m.db.R(), componentID, id)
}

// SettingsInput is the administrator's configuration.
type SettingsInput struct {
	Prefix        string
	MaxLength     string
	DocumentTitle kernel.Text
	OutcomeLabels map[string]kernel.Text
}

var prefixRe = regexp.MustCompile(`^[A-Z][A-Z0-9]{1,9}$`)

// SaveSettings changes the consultation's configuration. Field errors:
// "prefix", "max_length", "title_it", "title_en", "label_<outcome>_<lang>".
func (m *Module) SaveSettings(ctx context.Context, c component.Component, in SettingsInput) error {
	var v kernel.Validator
	prefix := strings.ToUpper(strings.TrimSpace(in.Prefix))
	if !prefixRe.MatchString(prefix) {
		v.Add("prefix", "consultation.error.prefix_invalid")
	}
	maxLen, err := strconv.Atoi(strings.TrimSpace(in.MaxLength))
	if err != nil || maxLen < 100 || maxLen > MaxMaxLength {
		v.Add("max_length", "consultation.error.max_length_invalid", "min", 100, "max", MaxMaxLength)
	}
	title := kernel.Text{}
	for _, l := range kernel.Locales {
		s := strings.TrimSpace(in.DocumentTitle[l])
		if utf8.RuneCountInString(s) > MaxHeadingLength {
			v.Add("title_"+l, "consultation.error.title_too_long", "max", MaxHeadingLength)
		}
		if s != "" {
			title[l] = s
		}
	}
	labels := map[string]kernel.Text{}
	for _, o := range Outcomes() {
		t := kernel.Text{}
		for _, l := range kernel.Locales {
			s := strings.TrimSpace(in.OutcomeLabels[o][l])
			if utf8.RuneCountInString(s) > 60 {
				v.Add("label_"+o+"_"+l, "consultation.error.label_too_long", "max", 60)
			}
			if s != "" {
				t[l] = s
			}
		}
		if len(t) > 0 {
			labels[o] = t
		}
	}
	if err := v.Err(); err != nil {
		return err
	}
	now := m.clock.Now()
	return m.db.Tx(ctx, func(tx *sql.Tx) error {
		before, err := m.st.consultation(ctx, tx, c.ID)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE consultations SET protocol_prefix = $1, max_observation_length = $2, outcome_labels = $3,
			document_title = $4, updated_at = $5 WHERE component_id = $6`, prefix, maxLen, labelsJSON(labels), title, now, c.ID); err != nil {
			return fmt.Errorf("consultation: settings: %w", err)
		}
		return m.record(ctx, tx, now, c, AuditSettings, "component", c.ID,
			map[string]any{"prefix": before.ProtocolPrefix, "max_length": before.MaxLength, "labels": before.OutcomeLabels, "title": before.DocumentTitle},
			map[string]any{"prefix": prefix, "max_length": maxLen, "labels": labels, "title": title})
	})
}

// ImportResult says what an import changed.
type ImportResult struct {
	Version                          int
	Sections, Paragraphs             int
	Added, Changed, Retired, Revived int
}

// ImportDocument parses src and makes it the current version of the
// document. A paragraph keeps its identity (and its observations) when the
// new version has a paragraph with the same article and number; its text
// changes if it changed. Paragraphs that disappear are retired, never
// deleted: their observations keep the text they were filed on. Errors are
// field errors on "document" (see ParseDocument) or "note".
func (m *Module) ImportDocument(ctx context.Context, c component.Component, src, note string) (ImportResult, error) {
	note = strings.TrimSpace(note)
	if utf8.RuneCountInString(note) > MaxNoteLength {
		return ImportResult{}, kernel.Invalid("note", "consultation.error.note_too_long", "max", MaxNoteLength)
	}
	parsed, err := ParseDocument(src)
	if err != nil {
		return ImportResult{}, err
	}
	now := m.clock.Now()
	var res ImportResult
	err = m.db.Tx(ctx, func(tx *sql.Tx) error {
		cons, err := m.st.consultation(ctx, tx, c.ID)
		if err != nil {
			return err
		}
		res = ImportResult{Version: cons.DocumentVersion + 1, Sections: len(parsed)}
		type secRow struct {
			id      int64
			retired bool
		}
		secs := map[int]secRow{}
		rows, err := tx.QueryContext(ctx, `SELECT id, number, retired_at FROM consultation_sections WHERE component_id = $1`, c.ID)
		if err != nil {
			return fmt.Errorf("consultation: import sections: %w", err)
		}
		for rows.Next() {
			var id int64
			var n int
			var ret sql.NullTime
			if err := rows.Scan(&id, &n, &ret); err != nil {
				rows.Close()
				return err
			}
			secs[n] = secRow{id, ret.Valid}
		}
		rows.Close()
		type paraKey struct {
			section int64
			number  int
		}
		type paraRow struct {
			id      int64
			body    string
			retired bool
		}
		paras := map[paraKey]paraRow{}
		rows, err = tx.QueryContext(ctx, `SELECT id, section_id, number, body, retired_at FROM consultation_paragraphs WHERE component_id = $1`, c.ID)
		if err != nil {
			return fmt.Errorf("consultation: import paragraphs: %w", err)
		}
		for rows.Next() {
			var pr paraRow
			var k paraKey
			var ret sql.NullTime
			if err := rows.Scan(&pr.id, &k.section, &k.number, &pr.body, &ret); err != nil {
				rows.Close()
				return err
			}
			pr.retired = ret.Valid
			paras[k] = pr
		}
		rows.Close()

		keepSec := map[int64]bool{}
		keepPara := map[int64]bool{}
		pos := 0
		for i, ps := range parsed {
			sr, ok := secs[ps.Number]
			if ok {
				if _, err := tx.ExecContext(ctx, `UPDATE consultation_sections SET label = $1, title = $2, position = $3, retired_at = NULL WHERE id = $4`,
					ps.Label, ps.Title, i+1, sr.id); err != nil {
					return fmt.Errorf("consultation: update section: %w", err)
				}
			} else {
				if err := tx.QueryRowContext(ctx, `INSERT INTO consultation_sections (component_id, number, label, title, position) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
					c.ID, ps.Number, ps.Label, ps.Title, i+1).Scan(&sr.id); err != nil {
					return fmt.Errorf("consultation: insert section: %w", err)
				}
			}
			keepSec[sr.id] = true
			for _, pp := range ps.Paragraphs {
				pos++
				res.Paragraphs++
				old, ok := paras[paraKey{sr.id, pp.Number}]
				switch {
				case !ok:
					res.Added++
					if _, err := tx.ExecContext(ctx, `INSERT INTO consultation_paragraphs (component_id, section_id, number, body, position, added_version, changed_version)
						VALUES ($1, $2, $3, $4, $5, $6, $6)`, c.ID, sr.id, pp.Number, pp.Body, pos, res.Version); err != nil {
						return fmt.Errorf("consultation: insert paragraph: %w", err)
					}
					continue
				case old.body != pp.Body:
					res.Changed++
					if _, err := tx.ExecContext(ctx, `UPDATE consultation_paragraphs SET body = $1, position = $2, changed_version = $3, retired_at = NULL WHERE id = $4`,
						pp.Body, pos, res.Version, old.id); err != nil {
						return fmt.Errorf("consultation: update paragraph: %w", err)
					}
				default:
					if _, err := tx.ExecContext(ctx, `UPDATE consultation_paragraphs SET position = $1, retired_at = NULL WHERE id = $2`, pos, old.id); err != nil {
						return fmt.Errorf("consultation: move paragraph: %w", err)
					}
				}
				if old.retired {
					res.Revived++
				}
				keepPara[old.id] = true
			}
		}
		for _, sr := range secs {
			if !keepSec[sr.id] && !sr.retired {
				if _, err := tx.ExecContext(ctx, `UPDATE consultation_sections SET retired_at = $1 WHERE id = $2`, now, sr.id); err != nil {
					return fmt.Errorf("consultation: retire section: %w", err)
				}
			}
		}
		for _, pr := range paras {
			if !keepPara[pr.id] && !pr.retired {
				res.Retired++
				if _, err := tx.ExecContext(ctx, `UPDATE consultation_paragraphs SET retired_at = $1 WHERE id = $2`, now, pr.id); err != nil {
					return fmt.Errorf("consultation: retire paragraph: %w", err)
				}
			}
		}
		actor := kernel.ActorFrom(ctx).UserID
		var by any
		if actor != 0 {
			by = actor
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO consultation_document_versions (component_id, version, source, note, sections_count, paragraphs_count, imported_at, imported_by)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, c.ID, res.Version, src, note, res.Sections, res.Paragraphs, now, by); err != nil {
			return fmt.Errorf("consultation: insert version: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE consultations SET document_version = $1, updated_at = $2 WHERE component_id = $3`, res.Version, now, c.ID); err != nil {
			return fmt.Errorf("consultation: set version: %w", err)
		}
		return m.record(ctx, tx, now, c, AuditImport, "component", c.ID, map[string]any{"version": cons.DocumentVersion},
			map[string]any{"version": res.Version, "note": note, "sections": res.Sections, "paragraphs": res.Paragraphs,
				"added": res.Added, "changed": res.Changed, "retired": res.Retired, "revived": res.Revived})
	})
	return res, err
}

// DocumentVersion is one imported version of the document.
type DocumentVersion struct {
	Version    int
	Note       string
	Sections   int
	Paragraphs int
	ImportedAt time.Time
}

// DocumentVersions lists the imported versions, newest first.
func (m *Module) DocumentVersions(ctx context.Context, componentID int64) ([]DocumentVersion, error) {
	rows, err := m.db.R().QueryContext(ctx, `SELECT version, note, sections_count, paragraphs_count, imported_at FROM consultation_document_versions
		WHERE component_id = $1 ORDER BY version DESC`, componentID)
	if err != nil {
		return nil, fmt.Errorf("consultation: versions: %w", err)
	}
	defer rows.Close()
	var out []DocumentVersion
	for rows.Next() {
		var v DocumentVersion
		if err := rows.Scan(&v.Version, &v.Note, &v.Sections, &v.Paragraphs, &v.ImportedAt); err != nil {
			return nil, fmt.Errorf("consultation: versions: %w", err)
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// Attachments lists the linked documents.
func (m *Module) Attachments(ctx context.Context, componentID int64) ([]Attachment, error) {
	return m.st.attachments(ctx, m.db.R(), componentID)
}

// AddAttachment links a document (title in each language, an http(s) URL
// or a local path). Field errors: "att_title_it", "att_title_en", "att_url".
func (m *Module) AddAttachment(ctx context.Context, c component.Component, title kernel.Text, link string) error {
	var v kernel.Validator
	clean := kernel.Text{}
	for _, l := range kernel.Locales {
		s := strings.TrimSpace(title[l])
		switch {
		case s == "" && l == kernel.LocaleIT:
			v.Add("att_title_it", "consultation.error.attachment_title_required")
		case utf8.RuneCountInString(s) > 200:
			v.Add("att_title_"+l, "consultation.error.attachment_title_too_long", "max", 200)
		}
		if s != "" {
			clean[l] = s
		}
	}
	link = strings.TrimSpace(link)
	if !validLink(link) {
		v.Add("att_url", "consultation.error.attachment_url_invalid")
	}
	if err := v.Err(); err != nil {
		return err
	}
	now := m.clock.Now()
	return m.db.Tx(ctx, func(tx *sql.Tx) error {
		var pos int
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(position), 0) + 1 FROM consultation_attachments WHERE component_id = $1`, c.ID).Scan(&pos); err != nil {
			return fmt.Errorf("consultation: attachment position: %w", err)
		}
		var id int64
		if err := tx.QueryRowContext(ctx, `INSERT INTO consultation_attachments (component_id, title, url, position, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
			c.ID, clean, link, pos, now).Scan(&id); err != nil {
			return fmt.Errorf("consultation: add attachment: %w", err)
		}
		return m.record(ctx, tx, now, c, AuditAttachmentAdd, "consultation_attachment", id, nil, map[string]any{"title": clean, "url": link})
	})
}

// validLink accepts absolute http(s) URLs and local paths only: never
// "javascript:" or other schemes a link could smuggle.
func validLink(s string) bool {
	if s == "" || len(s) > 2000 || strings.ContainsAny(s, " \t\r\n\"<>") {
		return false
	}
	if strings.HasPrefix(s, "/") && !strings.HasPrefix(s, "//") {
		return true
	}
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != ""
}

// DeleteAttachment removes a linked document of c.
func (m *Module) DeleteAttachment(ctx context.Context, c component.Component, id int64) error {
	now := m.clock.Now()
	return m.db.Tx(ctx, func(tx *sql.Tx) error {
		var title kernel.Text
		var link string
		err := tx.QueryRowContext(ctx, `SELECT title, url FROM consultation_attachments WHERE id = $1 AND component_id = $2`, id, c.ID).Scan(&title, &link)
		if err != nil {
			return fmt.Errorf("consultation: attachment %d: %w", id, db.Normalize(err))
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM consultation_attachments WHERE id = $1`, id); err != nil {
			return fmt.Errorf("consultation: delete attachment: %w", err)
		}
		return m.record(ctx, tx, now, c, AuditAttachmentDelete, "consultation_attachment", id, map[string]any{"title": title, "url": link}, nil)
	})
}

// refuse turns an authorization refusal into the message shown on the form.
func refuse(d authz.Decision) error { return d.Invalid() }

// Observation returns one observation of component componentID. Drafted
// replies are included only when withDrafts is true (evaluators).
func (m *Module) Observation(ctx context.Context, componentID, id int64, withDrafts bool) (*Observation, error) {
	o, err := m.st.observation(ctx, m.db.R(), componentID, id)
	if err != nil {
		return nil, err
	}
	if err := m.decorate(ctx, []*Observation{o}, withDrafts); err != nil {
		return nil, err
	}
	return o, nil
}

// decorate drops unpublished replies for the public and marks hidden
// observations, with one moderation query for the whole batch.
func (m *Module) decorate(ctx context.Context, obs []*Observation, withDrafts bool) error {
	refs := make([]moderation.Ref, 0, len(obs))
	for _, o := range obs {
		if !withDrafts && o.Reply != nil && !o.Reply.Published() {
			o.Reply = nil
		}
		refs = append(refs, moderation.Ref{Type: TypeObservation, ID: o.ID})
	}
	if m.mod == nil || len(refs) == 0 {
		return nil
	}
	hidden, err := m.mod.HiddenSet(ctx, refs)
	if err != nil {
		return err
	}
	for _, o := range obs {
		if h, ok := hidden[moderation.Ref{Type: TypeObservation, ID: o.ID}]; ok {
			o.HiddenReason = h.Reason
		} else if o.AuthorBlocked {
			o.HiddenReason = moderation.ReasonBlocked
		}
	}
	return nil
}

// List returns one page of observations and the total matching f.
func (m *Module) List(ctx context.Context, componentID int64, f ListFilter, withDrafts bool) ([]*Observation, int, error) {
	obs, total, err := m.st.list(ctx, componentID, f)
	if err != nil {
		return nil, 0, err
	}
	if err := m.decorate(ctx, obs, withDrafts); err != nil {
		return nil, 0, err
	}
	return obs, total, nil
}

// Versions lists an observation's versions, oldest first.
func (m *Module) Versions(ctx context.Context, observationID int64) ([]Version, error) {
	return m.st.versions(ctx, observationID)
}

// HasSupported reports whether userID supports the observation.
func (m *Module) HasSupported(ctx context.Context, observationID, userID int64) (bool, error) {
	if userID == 0 {
		return false, nil
	}
	return m.st.supported(ctx, observationID, userID)
}

// File stores authorID's observation on a paragraph of c and queues the
// receipt email, in one transaction. Errors: ErrUnauthenticated; ErrNotFound
// for an unknown or retired paragraph; *kernel.InvalidError for a refusal by
// authorization (field "", with its reason), bad kind, empty or too long
// text, wording on a kind that takes none, the same text within the
// duplicate window ("body"); ErrRateLimited.
func (m *Module) File(ctx context.Context, authorID int64, c component.Component, paragraphID int64, in ObservationInput) (*Observation, error) {
	if authorID == 0 {
		return nil, kernel.ErrUnauthenticated
	}
	cons, err := m.Get(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	p, err := m.Paragraph(ctx, c.ID, paragraphID)
	if err != nil {
		return nil, err
	}
	if p.Retired {
		return nil, fmt.Errorf("consultation: paragraph %d retired: %w", paragraphID, kernel.ErrNotFound)
	}
	d, err := m.authz.Authorize(ctx, authz.Request{UserID: authorID, ComponentID: c.ID, Action: component.ActionObserve})
	if err != nil {
		return nil, err
	}
	if !d.Allowed {
		return nil, refuse(d)
	}
	var v kernel.Validator
	in = in.validate(&v, cons.MaxLength, p.Body)
	in.Attachment.validate(&v, m.opt.MaxAttachment)
	if err := v.Err(); err != nil {
		return nil, err
	}
	now := m.clock.Now()
	var dup int
	if err := m.db.R().QueryRowContext(ctx, `SELECT COUNT(*) FROM consultation_observations WHERE author_id = $1 AND body = $2 AND created_at >= $3`,
		authorID, in.Body, now.Add(-m.opt.DuplicateWindow)).Scan(&dup); err != nil {
		return nil, fmt.Errorf("consultation: duplicate check: %w", err)
	}
	if dup > 0 {
		return nil, kernel.Invalid("body", "consultation.error.duplicate")
	}
	if err := m.limiter.Allow(ctx, "observe:"+strconv.FormatInt(authorID, 10), m.opt.RateLimit); err != nil {
		return nil, err
	}
	link, err := m.observationURL(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	return m.insert(ctx, c, cons, p, authorID, in, now, link, true)
}

// SeedObservation files an observation at time at without authorization,
// limits or receipt: for the demo and the performance seeder only.
func (m *Module) SeedObservation(ctx context.Context, c component.Component, authorID, paragraphID int64, in ObservationInput, at time.Time) (*Observation, error) {
	cons, err := m.Get(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	p, err := m.Paragraph(ctx, c.ID, paragraphID)
	if err != nil {
		return nil, err
	}
	var v kernel.Validator
	in = in.validate(&v, cons.MaxLength, p.Body)
	if err := v.Err(); err != nil {
		return nil, err
	}
	return m.insert(ctx, c, cons, p, authorID, in, at, "", false)
}

func (m *Module) insert(ctx context.Context, c component.Component, cons Consultation, p *Paragraph, authorID int64, in ObservationInput, now time.Time, link string, receipt bool) (*Observation, error) {
	year := now.In(m.rome).Year()
	o := &Observation{ComponentID: c.ID, ParagraphID: p.ID, SectionID: p.SectionID, AuthorID: authorID, Kind: in.Kind, Body: in.Body,
		Proposed: in.Proposed, ParagraphText: p.Body, Version: 1, Status: StatusFiled, CreatedAt: now, UpdatedAt: now,
		SectionNumber: p.Section.Number, SectionLabel: p.Section.Label, SectionTitle: p.Section.Title, ParagraphNumber: p.Number}
	err := m.db.Tx(ctx, func(tx *sql.Tx) error {
		// The counter row serialises concurrent filings and rolls back with
		// a failed one, so numbers have neither gaps nor duplicates.
		var n int
		if err := tx.QueryRowContext(ctx, `INSERT INTO consultation_protocol_counters (component_id, year, last) VALUES ($1, $2, 1)
			ON CONFLICT (component_id, year) DO UPDATE SET last = consultation_protocol_counters.last + 1 RETURNING last`, c.ID, year).Scan(&n); err != nil {
			return fmt.Errorf("consultation: protocol counter: %w", err)
		}
		o.Protocol = FormatProtocol(cons.ProtocolPrefix, year, n)
		if err := tx.QueryRowContext(ctx, `INSERT INTO consultation_observations (component_id, paragraph_id, section_id, author_id, protocol, kind, body, proposed,
				paragraph_text, version, supports_count, status, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 1, 0, 'filed', $10, $10) RETURNING id`,
			c.ID, p.ID, p.SectionID, authorID, o.Protocol, in.Kind, in.Body, in.Proposed, p.Body, now).Scan(&o.ID); err != nil {
			return fmt.Errorf("consultation: insert observation: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO consultation_observation_versions (observation_id, version, kind, body, proposed, created_at)
			VALUES ($1, 1, $2, $3, $4, $5)`, o.ID, in.Kind, in.Body, in.Proposed, now); err != nil {
			return fmt.Errorf("consultation: insert version: %w", err)
		}
		var attached string
		if in.Attachment != nil {
			name, sha, err := m.st.putAttachment(ctx, tx, o.ID, 1, in.Attachment, now)
			if err != nil {
				return err
			}
			o.AttachmentName, o.AttachmentSize, o.AttachmentSHA256 = name, int64(len(in.Attachment.Data)), sha
			attached = attachmentAudit(name, sha)
		}
		u, err := m.st.contact(ctx, tx, authorID)
		if err != nil {
			return err
		}
		o.AuthorNickname = u.Nickname
		if receipt && u.Email != "" {
			ref := m.cat.T(u.Locale, "consultation.paragraph.ref", "section", p.Section.Short(u.Locale), "n", p.Number)
			body := m.cat.T(u.Locale, "consultation.mail.receipt.body", "nickname", u.Nickname, "protocol", o.Protocol, "ref", ref,
				"date", m.dateTime(u.Locale, now), "url", m.opt.BaseURL+link+strconv.FormatInt(o.ID, 10)) +
				"\n\n" + m.cat.T(u.Locale, "mail.signature", "org", m.opt.OrgName)
			if err := mail.Enqueue(ctx, tx, now, mail.Message{To: u.Email, Locale: u.Locale,
				Subject: m.cat.T(u.Locale, "consultation.mail.receipt.subject", "protocol", o.Protocol), Body: body}); err != nil {
				return err
			}
		}
		return m.record(ctx, tx, now, c, AuditFile, TypeObservation, o.ID, nil,
			map[string]any{"protocol": o.Protocol, "paragraph_id": p.ID, "kind": in.Kind, "body": in.Body, "proposed": in.Proposed, "attachment": attached})
	})
	if err != nil {
		return nil, err
	}
	return o, nil
}

func (m *Module) dateTime(locale string, t time.Time) string {
	t = t.In(m.rome)
	return fmt.Sprintf("%d %s %d, %s", t.Day(), i18n.MonthName(locale, int(t.Month())), t.Year(), t.Format("15:04"))
}

// observationURL is the local path prefix of component id's observations,
// to which the observation ID is appended.
func (m *Module) observationURL(ctx context.Context, componentID int64) (string, error) {
	pl, err := m.st.places(ctx, []int64{componentID})
	if err != nil {
		return "", err
	}
	p, ok := pl[componentID]
	if !ok {
		return "", fmt.Errorf("consultation: component %d has no process: %w", componentID, kernel.ErrNotFound)
	}
	return component.PublicURL(p.Slug, componentID) + "/observations/", nil
}

// ChangeState says whether the author may still edit or withdraw.
type ChangeState struct {
	Allowed   bool
	ReasonKey string // why not, when the viewer is the author
}

// CanChange reports whether viewerID may edit or withdraw o now: only its
// author, while it is filed, unanswered, neither supported nor commented,
// and the observe action is open.
func (m *Module) CanChange(ctx context.Context, viewerID int64, c component.Component, o *Observation) (ChangeState, error) {
	if viewerID == 0 || o.AuthorID != viewerID || o.Withdrawn() {
		return ChangeState{}, nil
	}
	switch {
	case o.Reply.Published():
		return ChangeState{ReasonKey: "consultation.locked.answered"}, nil
	case o.Supports > 0 || o.Comments > 0:
		return ChangeState{ReasonKey: "consultation.locked.public_record"}, nil
	case o.Hidden():
		return ChangeState{ReasonKey: "consultation.locked.hidden"}, nil
	}
	d, err := m.authz.Authorize(ctx, authz.Request{UserID: viewerID, ComponentID: c.ID, Action: component.ActionObserve})
	if err != nil {
		return ChangeState{}, err
	}
	if !d.Allowed {
		return ChangeState{ReasonKey: d.MessageKey()}, nil
	}
	return ChangeState{Allowed: true}, nil
}

// ownChangeable loads authorID's observation and checks it may change.
func (m *Module) ownChangeable(ctx context.Context, authorID int64, c component.Component, id int64) (*Observation, error) {
	if authorID == 0 {
		return nil, kernel.ErrUnauthenticated
	}
	o, err := m.Observation(ctx, c.ID, id, false)
	if err != nil {
		return nil, err
	}
	if o.AuthorID != authorID {
		return nil, fmt.Errorf("consultation: observation %d of another author: %w", id, kernel.ErrForbidden)
	}
	if o.Withdrawn() {
		return nil, kernel.Invalid("", "consultation.locked.withdrawn")
	}
	st, err := m.CanChange(ctx, authorID, c, o)
	if err != nil {
		return nil, err
	}
	if !st.Allowed {
		return nil, kernel.Invalid("", st.ReasonKey)
	}
	return o, nil
}

// errLocked is returned from inside a transaction when a support arrived
// between the check and the write.
func errLocked() error { return kernel.Invalid("", "consultation.locked.public_record") }

// Edit replaces the text of authorID's observation, keeping every
// version. Errors as File, plus ErrForbidden for someone else's
// observation and a refusal ("") once it is part of the public record.
func (m *Module) Edit(ctx context.Context, authorID int64, c component.Component, id int64, in ObservationInput) (*Observation, error) {
	o, err := m.ownChangeable(ctx, authorID, c, id)
	if err != nil {
		return nil, err
	}
	cons, err := m.Get(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	var v kernel.Validator
	in = in.validate(&v, cons.MaxLength, o.ParagraphText)
	in.Attachment.validate(&v, m.opt.MaxAttachment)
	if err := v.Err(); err != nil {
		return nil, err
	}
	// A new file replaces the current one; removing needs one to remove.
	removing := in.Attachment == nil && in.RemoveAttachment && o.AttachmentName != ""
	if in.Kind == o.Kind && in.Body == o.Body && in.Proposed == o.Proposed && in.Attachment == nil && !removing {
		return o, nil // nothing changed: no new version
	}
	beforeFile := attachmentAudit(o.AttachmentName, o.AttachmentSHA256)
	afterFile := beforeFile
	now := m.clock.Now()
	err = m.db.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE consultation_observations SET kind = $1, body = $2, proposed = $3, version = version + 1, updated_at = $4
			WHERE id = $5 AND status = 'filed' AND supports_count = 0`, in.Kind, in.Body, in.Proposed, now, id)
		if err != nil {
			return fmt.Errorf("consultation: edit: %w", err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return errLocked()
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO consultation_observation_versions (observation_id, version, kind, body, proposed, created_at)
			VALUES ($1, $2, $3, $4, $5, $6)`, id, o.Version+1, in.Kind, in.Body, in.Proposed, now); err != nil {
			return fmt.Errorf("consultation: edit version: %w", err)
		}
		// One current attachment: the versions keep the texts, the audit
		// log the name and hash of every file replaced or removed.
		switch {
		case in.Attachment != nil:
			name, sha, err := m.st.putAttachment(ctx, tx, id, o.Version+1, in.Attachment, now)
			if err != nil {
				return err
			}
			afterFile = attachmentAudit(name, sha)
			o.AttachmentName, o.AttachmentSize, o.AttachmentSHA256 = name, int64(len(in.Attachment.Data)), sha
		case removing:
			if _, err := tx.ExecContext(ctx, `DELETE FROM consultation_observation_attachments WHERE observation_id = $1`, id); err != nil {
				return fmt.Errorf("consultation: remove attachment: %w", err)
			}
			afterFile = ""
			o.AttachmentName, o.AttachmentSize, o.AttachmentSHA256 = "", 0, ""
		}
		return m.record(ctx, tx, now, c, AuditEdit, TypeObservation, id,
			map[string]any{"version": o.Version, "kind": o.Kind, "body": o.Body, "proposed": o.Proposed, "attachment": beforeFile},
			map[string]any{"version": o.Version + 1, "kind": in.Kind, "body": in.Body, "proposed": in.Proposed, "attachment": afterFile})
	})
	if err != nil {
		return nil, err
	}
	o.Kind, o.Body, o.Proposed, o.Version, o.UpdatedAt = in.Kind, in.Body, in.Proposed, o.Version+1, now
	return o, nil
}

// Withdraw withdraws authorID's observation: it keeps its protocol number
// and shows as withdrawn. Errors as Edit.
func (m *Module) Withdraw(ctx context.Context, authorID int64, c component.Component, id int64) (*Observation, error) {
	o, err := m.ownChangeable(ctx, authorID, c, id)
	if err != nil {
		return nil, err
	}
	now := m.clock.Now()
	err = m.db.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE consultation_observations SET status = 'withdrawn', withdrawn_at = $1, updated_at = $1
			WHERE id = $2 AND status = 'filed' AND supports_count = 0`, now, id)
		if err != nil {
			return fmt.Errorf("consultation: withdraw: %w", err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return errLocked()
		}
		// A drafted reply to a withdrawn observation is moot.
		if _, err := tx.ExecContext(ctx, `DELETE FROM consultation_replies WHERE observation_id = $1 AND published_at IS NULL`, id); err != nil {
			return fmt.Errorf("consultation: withdraw draft: %w", err)
		}
		return m.record(ctx, tx, now, c, AuditWithdraw, TypeObservation, id, map[string]any{"status": StatusFiled}, map[string]any{"status": StatusWithdrawn})
	})
	if err != nil {
		return nil, err
	}
	o.Status, o.WithdrawnAt = StatusWithdrawn, now
	return o, nil
}

// Support records userID's support of an observation; supporting twice
// counts once (a primary key, checked in the same transaction as the
// counter). Errors: ErrUnauthenticated; ErrNotFound; a refusal (field "")
// by authorization, for one's own, a withdrawn or a hidden observation;
// ErrRateLimited beyond Options.SupportLimit (supports and withdrawals
// together), so nobody scripts support counts up and down.
func (m *Module) Support(ctx context.Context, userID int64, c component.Component, id int64) error {
	o, err := m.supportable(ctx, userID, c, id)
	if err != nil {
		return err
	}
	if o.AuthorID == userID {
		return kernel.Invalid("", "consultation.error.support_own")
	}
	if err := m.limiter.Allow(ctx, "support:"+strconv.FormatInt(userID, 10), m.opt.SupportLimit); err != nil {
		return err
	}
	now := m.clock.Now()
	return m.db.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO consultation_supports (observation_id, user_id, created_at) VALUES ($1, $2, $3)
			ON CONFLICT (observation_id, user_id) DO NOTHING`, id, userID, now)
		if err != nil {
			return fmt.Errorf("consultation: support: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil // already supported
		}
		if _, err := tx.ExecContext(ctx, `UPDATE consultation_observations SET supports_count = supports_count + 1 WHERE id = $1`, id); err != nil {
			return fmt.Errorf("consultation: count support: %w", err)
		}
		return nil
	})
}

// Unsupport withdraws userID's support while the support action is open.
// Errors as Support.
func (m *Module) Unsupport(ctx context.Context, userID int64, c component.Component, id int64) error {
	if _, err := m.supportable(ctx, userID, c, id); err != nil {
		return err
	}
	if err := m.limiter.Allow(ctx, "support:"+strconv.FormatInt(userID, 10), m.opt.SupportLimit); err != nil {
		return err
	}
	return m.db.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM consultation_supports WHERE observation_id = $1 AND user_id = $2`, id, userID)
		if err != nil {
			return fmt.Errorf("consultation: unsupport: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		if _, err := tx.ExecContext(ctx, `UPDATE consultation_observations SET supports_count = supports_count - 1 WHERE id = $1 AND supports_count > 0`, id); err != nil {
			return fmt.Errorf("consultation: uncount support: %w", err)
		}
		return nil
	})
}

func (m *Module) supportable(ctx context.Context, userID int64, c component.Component, id int64) (*Observation, error) {
	if userID == 0 {
		return nil, kernel.ErrUnauthenticated
	}
	o, err := m.Observation(ctx, c.ID, id, false)
	if err != nil {
		return nil, err
	}
	d, err := m.authz.Authorize(ctx, authz.Request{UserID: userID, ComponentID: c.ID, Action: component.ActionSupport})
	if err != nil {
		return nil, err
	}
	switch {
	case !d.Allowed:
		return nil, refuse(d)
	case o.Withdrawn():
		return nil, kernel.Invalid("", "consultation.locked.withdrawn")
	case o.Hidden():
		return nil, kernel.Invalid("", "consultation.locked.hidden")
	}
	return o, nil
}

// MayEvaluate reports whether userID drafts replies in c: platform
// administrators, and the space's administrators and evaluators.
func (m *Module) MayEvaluate(ctx context.Context, userID int64, c component.Component) (bool, error) {
	if userID == 0 {
		return false, nil
	}
	d, err := m.authz.Authorize(ctx, authz.Request{UserID: userID, ComponentID: c.ID, Action: authz.ActionEvaluate})
	if err != nil {
		return false, err
	}
	return d.Allowed, nil
}

// ReplyInput is an evaluator's draft.
type ReplyInput struct {
	Outcome string
	Body    string
	Office  string
}

// SaveDraft stores (or replaces) the draft reply to an observation.
// Errors: ErrForbidden for someone who does not evaluate here; ErrNotFound;
// field errors "outcome", "body", "office"; a refusal ("") for a withdrawn
// observation or a reply already published (published replies are final).
func (m *Module) SaveDraft(ctx context.Context, evaluatorID int64, c component.Component, id int64, in ReplyInput) error {
	ok, err := m.MayEvaluate(ctx, evaluatorID, c)
	if err != nil {
		return err
	}
	if !ok {
		return kernel.ErrForbidden
	}
	o, err := m.Observation(ctx, c.ID, id, true)
	if err != nil {
		return err
	}
	var v kernel.Validator
	in.Body, in.Office = normalizeText(in.Body), strings.TrimSpace(in.Office)
	if !ValidOutcome(in.Outcome) {
		v.Add("outcome", "consultation.error.outcome_invalid")
	}
	switch n := utf8.RuneCountInString(in.Body); {
	case n == 0:
		v.Add("body", "consultation.error.reply_required")
	case n > MaxReplyLength:
		v.Add("body", "consultation.error.reply_too_long", "max", MaxReplyLength, "n", n)
	}
	switch n := utf8.RuneCountInString(in.Office); {
	case n == 0:
		v.Add("office", "consultation.error.office_required")
	case n > MaxOfficeLength:
		v.Add("office", "consultation.error.office_too_long", "max", MaxOfficeLength)
	}
	if o.Withdrawn() {
		v.Add("", "consultation.locked.withdrawn")
	}
	if o.Reply.Published() {
		v.Add("", "consultation.error.reply_published")
	}
	if err := v.Err(); err != nil {
		return err
	}
	now := m.clock.Now()
	return m.db.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO consultation_replies (observation_id, component_id, outcome, body, office, drafted_by, drafted_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $7)
			ON CONFLICT (observation_id) DO UPDATE SET outcome = $3, body = $4, office = $5, drafted_by = $6, updated_at = $7
			WHERE consultation_replies.published_at IS NULL`, id, c.ID, in.Outcome, in.Body, in.Office, evaluatorID, now)
		if err != nil {
			return fmt.Errorf("consultation: draft: %w", err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return kernel.Invalid("", "consultation.error.reply_published") // published meanwhile
		}
		var before any
		if o.Reply != nil {
			before = map[string]any{"outcome": o.Reply.Outcome, "body": o.Reply.Body, "office": o.Reply.Office}
		}
		return m.record(ctx, tx, now, c, AuditReplyDraft, TypeObservation, id, before,
			map[string]any{"outcome": in.Outcome, "body": in.Body, "office": in.Office})
	})
}

// DraftCount counts the replies waiting to be published.
func (m *Module) DraftCount(ctx context.Context, componentID int64) (int, error) {
	return m.st.draftCount(ctx, m.db.R(), componentID)
}

// Publications lists the acts that published replies, newest first.
func (m *Module) Publications(ctx context.Context, componentID int64) ([]Publication, error) {
	return m.st.publications(ctx, componentID)
}

// PublishInput describes the act publishing the replies.
type PublishInput struct {
	Note      string // e.g. "Approvato con delibera del Consiglio comunale n. 12"
	DecidedOn string // YYYY-MM-DD, optional
}

// PublishReplies publishes every drafted reply of c together, in one
// transaction: the replies become public, every author is told in-app and
// by email in their language, and the act is audited. It returns how many
// replies were published. Field errors: "note", "decided_on"; "" when
// there is nothing to publish.
func (m *Module) PublishReplies(ctx context.Context, c component.Component, in PublishInput) (int, error) {
	var v kernel.Validator
	in.Note, in.DecidedOn = normalizeText(in.Note), strings.TrimSpace(in.DecidedOn)
	if utf8.RuneCountInString(in.Note) > MaxNoteLength {
		v.Add("note", "consultation.error.note_too_long", "max", MaxNoteLength)
	}
	if in.DecidedOn != "" {
		if _, err := time.Parse("2006-01-02", in.DecidedOn); err != nil {
			v.Add("decided_on", "consultation.error.date_invalid")
		}
	}
	if err := v.Err(); err != nil {
		return 0, err
	}
	link, err := m.observationURL(ctx, c.ID)
	if err != nil {
		return 0, err
	}
	now := m.clock.Now()
	count := 0
	err = m.db.Tx(ctx, func(tx *sql.Tx) error {
		type item struct {
			obsID    int64
			protocol string
			author   int64
			outcome  string
		}
		rows, err := tx.QueryContext(ctx, `SELECT o.id, o.protocol, COALESCE(o.author_id, 0), r.outcome FROM consultation_replies r
			JOIN consultation_observations o ON o.id = r.observation_id
			WHERE r.component_id = $1 AND r.published_at IS NULL AND o.status = 'filed' ORDER BY o.id`, c.ID)
		if err != nil {
			return fmt.Errorf("consultation: publish: %w", err)
		}
		var items []item
		for rows.Next() {
			var it item
			if err := rows.Scan(&it.obsID, &it.protocol, &it.author, &it.outcome); err != nil {
				rows.Close()
				return fmt.Errorf("consultation: publish: %w", err)
			}
			items = append(items, it)
		}
		rows.Close()
		if len(items) == 0 {
			return kernel.Invalid("", "consultation.error.nothing_to_publish")
		}
		count = len(items)
		actor := kernel.ActorFrom(ctx).UserID
		var by any
		if actor != 0 {
			by = actor
		}
		var pubID int64
		if err := tx.QueryRowContext(ctx, `INSERT INTO consultation_reply_publications (component_id, note, decided_on, replies_count, published_at, published_by)
			VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`, c.ID, in.Note, in.DecidedOn, count, now, by).Scan(&pubID); err != nil {
			return fmt.Errorf("consultation: publication: %w", err)
		}
		res, err := tx.ExecContext(ctx, `UPDATE consultation_replies SET published_at = $1, publication_id = $2
			WHERE component_id = $3 AND published_at IS NULL
			AND observation_id IN (SELECT id FROM consultation_observations WHERE component_id = $3 AND status = 'filed')`, now, pubID, c.ID)
		if err != nil {
			return fmt.Errorf("consultation: publish replies: %w", err)
		}
		if n, _ := res.RowsAffected(); int(n) != count {
			return fmt.Errorf("consultation: published %d replies, expected %d: %w", n, count, kernel.ErrConflict)
		}
		// One notice per observation in-app; one email per author listing
		// all their answered observations.
		byAuthor := map[int64][]item{}
		var authors []int64
		for _, it := range items {
			if it.author == 0 {
				continue
			}
			if _, ok := byAuthor[it.author]; !ok {
				authors = append(authors, it.author)
			}
			byAuthor[it.author] = append(byAuthor[it.author], it)
			params := fmt.Sprintf(`{"protocol":%q,"outcome":%q,"outcome_key":%q}`, it.protocol, it.outcome, "consultation.outcome."+it.outcome)
			if _, err := tx.ExecContext(ctx, `INSERT INTO notifications (user_id, kind, actor_id, ref_type, ref_id, url, params, created_at)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, it.author, NotificationReply, by, TypeObservation, it.obsID,
				link+strconv.FormatInt(it.obsID, 10)+"#reply", params, now); err != nil {
				return fmt.Errorf("consultation: notify: %w", err)
			}
		}
		cons, err := m.st.consultation(ctx, tx, c.ID)
		if err != nil {
			return err
		}
		for _, a := range authors {
			u, err := m.st.contact(ctx, tx, a)
			if errors.Is(err, kernel.ErrNotFound) {
				continue // deleted account: nobody to write to
			}
			if err != nil {
				return err
			}
			if u.Email == "" {
				continue
			}
			var lines []string
			for _, it := range byAuthor[a] {
				lines = append(lines, "- "+it.protocol+" — "+m.OutcomeLabel(cons, it.outcome, u.Locale)+": "+m.opt.BaseURL+link+strconv.FormatInt(it.obsID, 10)+"#reply")
			}
			body := m.cat.T(u.Locale, "consultation.mail.reply.body", "nickname", u.Nickname, "consultation", c.Name.In(u.Locale),
				"list", strings.Join(lines, "\n")) + "\n\n" + m.cat.T(u.Locale, "mail.signature", "org", m.opt.OrgName)
			if err := mail.Enqueue(ctx, tx, now, mail.Message{To: u.Email, Locale: u.Locale,
				Subject: m.cat.T(u.Locale, "consultation.mail.reply.subject", "consultation", c.Name.In(u.Locale)), Body: body}); err != nil {
				return err
			}
		}
		ids := make([]int64, len(items))
		for i, it := range items {
			ids[i] = it.obsID
		}
		return m.record(ctx, tx, now, c, AuditRepliesPublish, "component", c.ID, nil,
			map[string]any{"publication_id": pubID, "count": count, "observations": ids, "note": in.Note, "decided_on": in.DecidedOn})
	})
	return count, err
}

// OutcomeLabel is the outcome's label in locale: the consultation's own
// label when configured, else the catalog's default.
func (m *Module) OutcomeLabel(c Consultation, outcome, locale string) string {
	if t, ok := c.OutcomeLabels[outcome]; ok && !t.IsZero() {
		return t.In(locale)
	}
	return m.cat.T(locale, "consultation.outcome."+outcome)
}

// SeedSupport records a support without authorization: for the demo and
// the performance seeder only. Supporting twice still counts once.
func (m *Module) SeedSupport(ctx context.Context, userID, observationID int64, at time.Time) error {
	return m.db.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO consultation_supports (observation_id, user_id, created_at) VALUES ($1, $2, $3)
			ON CONFLICT (observation_id, user_id) DO NOTHING`, observationID, userID, at)
		if err != nil {
			return fmt.Errorf("consultation: seed support: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 1 {
			_, err = tx.ExecContext(ctx, `UPDATE consultation_observations SET supports_count = supports_count + 1 WHERE id = $1`, observationID)
		}
		return err
	})
}

// ParagraphIDs lists the current paragraphs' IDs in document order.
func (m *Module) ParagraphIDs(ctx context.Context, componentID int64) ([]int64, error) {
	_, paras, err := m.st.document(ctx, componentID)
	if err != nil {
		return nil, err
	}
	ids := make([]int64, 0, len(paras))
	for id := range paras {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return paras[ids[i]].Position < paras[ids[j]].Position })
	return ids, nil
}
