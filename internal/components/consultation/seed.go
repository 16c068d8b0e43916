package consultation

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/arengo/arengo/internal/component"
	"github.com/arengo/arengo/internal/db"
	"github.com/arengo/arengo/internal/kernel"
	"github.com/arengo/arengo/internal/moderation"
)

// Bulk describes a large consultation for measuring performance (issue 4:
// 500 paragraphs, 5,000 observations, 20,000 comments). Zero fields take
// those defaults.
type Bulk struct {
	Paragraphs   int
	Observations int
	Comments     int
	Participants int    // accounts created to author, support and comment
	Seed         uint64 // the same seed gives the same content
	Now          time.Time
}

// BulkResult says what SeedBulk created.
type BulkResult struct {
	Sections, Paragraphs                 int
	Participants                         int
	Observations, Withdrawn, Versions    int
	Supports                             int
	Comments, Deleted, Votes             int
	Published, Drafts                    int
	HiddenObservations, HiddenComments   int
	PendingReports                       int
	BusiestObservation, BusiestComments  int64 // the observation with most comments, and how many
	TypicalObservation                   int64 // an observation with the median number of comments
	BusiestParagraph, BusiestParagraphN  int64
	MedianParagraphObs, MaxParagraphObs  int
	DocumentBytes                        int
	DocumentImport, BulkInsert, Analysis time.Duration
}

func (b *Bulk) defaults() {
	if b.Paragraphs <= 0 {
		b.Paragraphs = 500
	}
	if b.Observations < 0 {
		b.Observations = 0
	} else if b.Observations == 0 {
		b.Observations = 5000
	}
	if b.Comments < 0 {
		b.Comments = 0
	} else if b.Comments == 0 {
		b.Comments = 20000
	}
	if b.Participants <= 0 {
		b.Participants = 2000
	}
	if b.Now.IsZero() {
		b.Now = time.Now().UTC()
	}
}

// SeedBulk fills consultation c, which must have no document yet, with a
// generated document and a realistic spread of observations (a few
// paragraphs draw most of them), versions, withdrawals, supports, threaded
// comments with votes, drafted and published replies, and hidden content,
// all by spec.Participants new accounts. It bypasses every rule (phases,
// eligibility, rate limits, notifications): for the seeding command and
// benchmarks only. The document goes through ImportDocument; everything
// else is written with multi-row INSERTs in one transaction so that the
// default size takes seconds, not minutes.
func (m *Module) SeedBulk(ctx context.Context, c component.Component, spec Bulk) (BulkResult, error) {
	spec.defaults()
	var res BulkResult
	rnd := rand.New(rand.NewPCG(spec.Seed, spec.Seed^0x9e3779b97f4a7c15))
	g := textGen{rnd: rnd}

	cons, err := m.Get(ctx, c.ID)
	if err != nil {
		return res, err
	}
	if cons.DocumentVersion > 0 {
		return res, fmt.Errorf("consultation: seed: component %d already has a document: %w", c.ID, kernel.ErrConflict)
	}
	start := time.Now()
	src := g.document(spec.Paragraphs)
	res.DocumentBytes = len(src)
	imp, err := m.ImportDocument(ctx, c, src, "Testo generato per le misure di prestazione")
	if err != nil {
		return res, fmt.Errorf("consultation: seed document: %w", err)
	}
	res.Sections, res.Paragraphs = imp.Sections, imp.Paragraphs
	res.DocumentImport = time.Since(start)
	secs, _, err := m.st.document(ctx, c.ID)
	if err != nil {
		return res, err
	}
	var order []*Paragraph
	for _, s := range secs {
		order = append(order, s.Paragraphs...)
	}

	start = time.Now()
	err = m.db.Tx(ctx, func(tx *sql.Tx) error {
		return m.seedBulkTx(ctx, tx, c, cons, spec, order, &g, &res)
	})
	if err != nil {
		return res, err
	}
	res.BulkInsert = time.Since(start)
	start = time.Now()
	// Fresh statistics, so the planner knows the tables are no longer tiny.
	if _, err := m.db.W().ExecContext(ctx, "ANALYZE"); err != nil {
		return res, fmt.Errorf("consultation: seed analyze: %w", err)
	}
	res.Analysis = time.Since(start)
	return res, nil
}

// seedRow is one observation as generated.
type seedRow struct {
	id        int64
	para      *Paragraph
	author    int64
	withdrawn bool
	comments  int
	hidden    bool
}

func (m *Module) seedBulkTx(ctx context.Context, tx *sql.Tx, c component.Component, cons Consultation, spec Bulk, paras []*Paragraph,
	g *textGen, res *BulkResult) error {
	rnd := g.rnd
	now := spec.Now
	begin := now.Add(-30 * 24 * time.Hour)
	at := func(from time.Time) time.Time {
		span := now.Sub(from)
		if span <= 0 {
			return from
		}
		return from.Add(time.Duration(rnd.Int64N(int64(span))))
	}
	nextID := func(table string) (int64, error) {
		var n int64
		err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(id), 0) FROM `+table).Scan(&n)
		return n + 1, err
	}

	// Participants.
	firstUser, err := nextID("users")
	if err != nil {
		return fmt.Errorf("consultation: seed users: %w", err)
	}
	users := make([]int64, spec.Participants)
	b := newBatch(tx, `INSERT INTO users (id, nickname, nickname_key, locale, is_admin, email_confirmed_at, created_at, updated_at) VALUES `, 8)
	for i := range users {
		users[i] = firstUser + int64(i)
		nick := fmt.Sprintf("c%d_persona_%05d", c.ID, i+1)
		if err := b.add(ctx, users[i], nick, strings.ToLower(nick), kernel.LocaleIT, false, begin, begin, begin); err != nil {
			return fmt.Errorf("consultation: seed users: %w", err)
		}
	}
	if err := b.flush(ctx); err != nil {
		return fmt.Errorf("consultation: seed users: %w", err)
	}
	res.Participants = len(users)
	pick := func() int64 { return users[rnd.IntN(len(users))] }

	// Observations: a few paragraphs draw most of them (the square of a
	// uniform draw over a shuffled order).
	byPara := make([]*Paragraph, len(paras))
	copy(byPara, paras)
	rnd.Shuffle(len(byPara), func(i, j int) { byPara[i], byPara[j] = byPara[j], byPara[i] })
	firstObs, err := nextID("consultation_observations")
	if err != nil {
		return fmt.Errorf("consultation: seed observations: %w", err)
	}
	year := now.In(m.rome).Year()
	var counter int
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(last), 0) FROM consultation_protocol_counters WHERE component_id = $1 AND year = $2`, c.ID, year).Scan(&counter); err != nil {
		return fmt.Errorf("consultation: seed counter: %w", err)
	}
	obs := make([]seedRow, spec.Observations)
	times := make([]time.Time, spec.Observations)
	for i := range times {
		times[i] = at(begin)
	}
	slices.SortFunc(times, func(a, b time.Time) int { return a.Compare(b) })
	b = newBatch(tx, `INSERT INTO consultation_observations (id, component_id, paragraph_id, section_id, author_id, protocol, kind, body, proposed,
		paragraph_text, version, supports_count, status, created_at, updated_at, withdrawn_at) VALUES `, 16)
	kinds := []string{KindModify, KindModify, KindAdd, KindDelete, KindGeneral, KindGeneral, KindGeneral}
	for i := range obs {
		u := rnd.Float64()
		p := byPara[int(float64(len(byPara))*u*u)]
		o := seedRow{id: firstObs + int64(i), para: p, author: pick(), withdrawn: rnd.IntN(50) == 0}
		obs[i] = o
		kind := kinds[rnd.IntN(len(kinds))]
		proposed := ""
		if KindTakesWording(kind) {
			proposed = g.rewording(p.Body, kind == KindAdd)
		}
		status, withdrawn := StatusFiled, sql.NullTime{}
		if o.withdrawn {
			status, withdrawn = StatusWithdrawn, sql.NullTime{Time: times[i].Add(time.Hour), Valid: true}
			res.Withdrawn++
		}
		counter++
		if err := b.add(ctx, o.id, c.ID, p.ID, p.SectionID, o.author, FormatProtocol(cons.ProtocolPrefix, year, counter), kind,
			g.text(g.length(60, 480, 4000)), proposed, p.Body, 1, 0, status, times[i], times[i], withdrawn); err != nil {
			return fmt.Errorf("consultation: seed observations: %w", err)
		}
	}
	if err := b.flush(ctx); err != nil {
		return fmt.Errorf("consultation: seed observations: %w", err)
	}
	res.Observations = len(obs)
	if len(obs) > 0 {
		if _, err := tx.ExecContext(ctx, `INSERT INTO consultation_protocol_counters (component_id, year, last) VALUES ($1, $2, $3)
			ON CONFLICT (component_id, year) DO UPDATE SET last = $3`, c.ID, year, counter); err != nil {
			return fmt.Errorf("consultation: seed counter: %w", err)
		}
	}
	// Every observation has its first version; one in thirty was edited once.
	if _, err := tx.ExecContext(ctx, `INSERT INTO consultation_observation_versions (observation_id, version, kind, body, proposed, created_at)
		SELECT id, 1, kind, body, proposed, created_at FROM consultation_observations WHERE component_id = $1 AND id >= $2`, c.ID, firstObs); err != nil {
		return fmt.Errorf("consultation: seed versions: %w", err)
	}
	b = newBatch(tx, `INSERT INTO consultation_observation_versions (observation_id, version, kind, body, proposed, created_at) VALUES `, 6)
	var edited []any
	for i, o := range obs {
		if i%30 != 7 || o.withdrawn {
			continue
		}
		if err := b.add(ctx, o.id, 2, KindGeneral, g.text(g.length(60, 300, 2000)), "", times[i].Add(20*time.Minute)); err != nil {
			return fmt.Errorf("consultation: seed versions: %w", err)
		}
		edited = append(edited, o.id)
	}
	if err := b.flush(ctx); err != nil {
		return fmt.Errorf("consultation: seed versions: %w", err)
	}
	// The edited ones now read as their second version.
	for len(edited) > 0 {
		n := min(len(edited), 500)
		ph := make([]string, n)
		for i := range ph {
			ph[i] = "$" + strconv.Itoa(i+1)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE consultation_observations SET version = 2, kind = 'general', proposed = '',
			body = (SELECT v.body FROM consultation_observation_versions v WHERE v.observation_id = consultation_observations.id AND v.version = 2)
			WHERE id IN (`+strings.Join(ph, ", ")+`)`, edited[:n]...); err != nil {
			return fmt.Errorf("consultation: seed edits: %w", err)
		}
		edited = edited[n:]
	}
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM consultation_observation_versions v JOIN consultation_observations o ON o.id = v.observation_id
		WHERE o.component_id = $1`, c.ID).Scan(&res.Versions); err != nil {
		return fmt.Errorf("consultation: seed versions: %w", err)
	}

	// Supports: most observations have none or a few, some many.
	b = newBatch(tx, `INSERT INTO consultation_supports (observation_id, user_id, created_at) VALUES `, 3)
	for i, o := range obs {
		if o.withdrawn {
			continue
		}
		u := rnd.Float64()
		n := int(40 * u * u * u * u)
		seen := map[int64]bool{o.author: true}
		for j := 0; j < n; j++ {
			uid := pick()
			if seen[uid] {
				continue
			}
			seen[uid] = true
			if err := b.add(ctx, o.id, uid, at(times[i])); err != nil {
				return fmt.Errorf("consultation: seed supports: %w", err)
			}
			res.Supports++
		}
	}
	if err := b.flush(ctx); err != nil {
		return fmt.Errorf("consultation: seed supports: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE consultation_observations SET supports_count =
		(SELECT COUNT(*) FROM consultation_supports s WHERE s.observation_id = consultation_observations.id)
		WHERE component_id = $1 AND id >= $2`, c.ID, firstObs); err != nil {
		return fmt.Errorf("consultation: seed support counts: %w", err)
	}

	// Comments: threads of very different sizes; about a third are replies
	// (depth up to 3), a few are deleted, many have votes.
	firstComment, err := nextID("comments")
	if err != nil {
		return fmt.Errorf("consultation: seed comments: %w", err)
	}
	var open []int // observations that can be commented
	for i, o := range obs {
		if !o.withdrawn {
			open = append(open, i)
		}
	}
	rnd.Shuffle(len(open), func(i, j int) { open[i], open[j] = open[j], open[i] })
	type seedComment struct {
		id    int64
		depth int
	}
	threads := map[int][]seedComment{}
	var commentIDs []int64
	b = newBatch(tx, `INSERT INTO comments (id, ref_type, ref_id, parent_id, depth, author_id, alignment, body, mentions, created_at, deleted_at) VALUES `, 11)
	vb := newBatch(tx, `INSERT INTO comment_versions (comment_id, version, body, alignment, created_at) VALUES `, 5)
	vb.after = b
	aligns := []string{"", "", "favour", "neutral", "against"}
	for k := 0; k < spec.Comments && len(open) > 0; k++ {
		u := rnd.Float64()
		i := open[int(float64(len(open))*u*u)]
		o := &obs[i]
		id := firstComment + int64(k)
		parent, depth := sql.NullInt64{}, 0
		if th := threads[i]; len(th) > 0 && rnd.IntN(3) == 0 {
			p := th[rnd.IntN(len(th))]
			if p.depth < 3 {
				parent, depth = sql.NullInt64{Int64: p.id, Valid: true}, p.depth+1
			}
		}
		threads[i] = append(threads[i], seedComment{id, depth})
		o.comments++
		when := times[i].Add(time.Duration(k+1) * time.Second)
		deleted := sql.NullTime{}
		if rnd.IntN(100) == 0 {
			deleted = sql.NullTime{Time: when.Add(time.Hour), Valid: true}
			res.Deleted++
		}
		body, align := g.text(g.length(20, 220, 1000)), aligns[rnd.IntN(len(aligns))]
		if err := b.add(ctx, id, TypeObservation, o.id, parent, depth, pick(), align, body, "", when, deleted); err != nil {
			return fmt.Errorf("consultation: seed comments: %w", err)
		}
		if err := vb.add(ctx, id, 1, body, align, when); err != nil {
			return fmt.Errorf("consultation: seed comment versions: %w", err)
		}
		commentIDs = append(commentIDs, id)
	}
	if err := b.flush(ctx); err != nil {
		return fmt.Errorf("consultation: seed comments: %w", err)
	}
	if err := vb.flush(ctx); err != nil {
		return fmt.Errorf("consultation: seed comment versions: %w", err)
	}
	res.Comments = len(commentIDs)
	b = newBatch(tx, `INSERT INTO comment_votes (comment_id, user_id, value, created_at) VALUES `, 4)
	for _, id := range commentIDs {
		n := rnd.IntN(3)
		seen := map[int64]bool{}
		for j := 0; j < n; j++ {
			uid := pick()
			if seen[uid] {
				continue
			}
			seen[uid] = true
			v := 1
			if rnd.IntN(4) == 0 {
				v = -1
			}
			if err := b.add(ctx, id, uid, v, now.Add(-time.Hour)); err != nil {
				return fmt.Errorf("consultation: seed votes: %w", err)
			}
			res.Votes++
		}
	}
	if err := b.flush(ctx); err != nil {
		return fmt.Errorf("consultation: seed votes: %w", err)
	}

	// Replies: half the observations answered in one published act, one in
	// ten with a draft still private.
	var pubID int64
	if len(obs) > 0 {
		if err := tx.QueryRowContext(ctx, `INSERT INTO consultation_reply_publications (component_id, note, decided_on, replies_count, published_at)
			VALUES ($1, $2, $3, 0, $4) RETURNING id`, c.ID, "Controdeduzioni approvate dal Consiglio comunale (dati generati)",
			now.AddDate(0, 0, -1).Format("2006-01-02"), now.Add(-12*time.Hour)).Scan(&pubID); err != nil {
			return fmt.Errorf("consultation: seed publication: %w", err)
		}
	}
	b = newBatch(tx, `INSERT INTO consultation_replies (observation_id, component_id, outcome, body, office, drafted_by, drafted_at, updated_at,
		publication_id, published_at) VALUES `, 10)
	offices := []string{"Direzione Transizione Ambientale", "Direzione Mobilità e Trasporti", "Area Energia e Clima",
		"Direzione Verde e Agricoltura", "Direzione Urbanistica", "Direzione Tecnica – Edilizia"}
	evaluator := users[0]
	for i, o := range obs {
		if o.withdrawn {
			continue
		}
		r := rnd.IntN(10)
		if r >= 6 {
			continue
		}
		pid, pat := sql.NullInt64{}, sql.NullTime{}
		if r < 5 {
			pid, pat = sql.NullInt64{Int64: pubID, Valid: true}, sql.NullTime{Time: now.Add(-12 * time.Hour), Valid: true}
			res.Published++
		} else {
			res.Drafts++
		}
		drafted := times[i].Add(48 * time.Hour)
		if drafted.After(now) {
			drafted = now.Add(-13 * time.Hour)
		}
		if err := b.add(ctx, o.id, c.ID, Outcomes()[rnd.IntN(4)], g.text(g.length(120, 600, 3000)), offices[rnd.IntN(len(offices))],
			evaluator, drafted, drafted, pid, pat); err != nil {
			return fmt.Errorf("consultation: seed replies: %w", err)
		}
	}
	if err := b.flush(ctx); err != nil {
		return fmt.Errorf("consultation: seed replies: %w", err)
	}
	if pubID != 0 {
		if _, err := tx.ExecContext(ctx, `UPDATE consultation_reply_publications SET replies_count = $1 WHERE id = $2`, res.Published, pubID); err != nil {
			return fmt.Errorf("consultation: seed publication: %w", err)
		}
	}

	// Moderation: one observation in a hundred and one comment in two
	// hundred hidden after three reports; a few more with one report pending.
	firstItem, err := nextID("moderation_items")
	if err != nil {
		return fmt.Errorf("consultation: seed moderation: %w", err)
	}
	ib := newBatch(tx, `INSERT INTO moderation_items (id, ref_type, ref_id, space_type, space_id, author_id, reports_count, hidden_at, hidden_reason,
		created_at, updated_at) VALUES `, 11)
	rb := newBatch(tx, `INSERT INTO moderation_reports (item_id, reporter_id, reason, details, created_at) VALUES `, 5)
	rb.after = ib
	item := firstItem
	report := func(refType string, refID, author int64, hide bool) error {
		n, hidden, reason := 1, sql.NullTime{}, ""
		if hide {
			n, hidden, reason = 3, sql.NullTime{Time: now.Add(-2 * time.Hour), Valid: true}, moderation.ReasonSpam
		} else {
			res.PendingReports++
		}
		if err := ib.add(ctx, item, refType, refID, c.Space.Type, c.Space.ID, author, n, hidden, reason, now.Add(-3*time.Hour), now.Add(-2*time.Hour)); err != nil {
			return err
		}
		seen := map[int64]bool{author: true}
		for j := 0; j < n; j++ {
			uid := pick()
			for seen[uid] {
				uid = pick()
			}
			seen[uid] = true
			r := moderation.ReasonSpam
			if !hide {
				r = moderation.ReasonOffTopic
			}
			if err := rb.add(ctx, item, uid, r, "", now.Add(-3*time.Hour)); err != nil {
				return err
			}
		}
		item++
		return nil
	}
	for i := range obs {
		o := &obs[i]
		if o.withdrawn {
			continue
		}
		switch i % 100 {
		case 13:
			o.hidden = true
			res.HiddenObservations++
			if err := report(TypeObservation, o.id, o.author, true); err != nil {
				return fmt.Errorf("consultation: seed moderation: %w", err)
			}
		case 42:
			if err := report(TypeObservation, o.id, o.author, false); err != nil {
				return fmt.Errorf("consultation: seed moderation: %w", err)
			}
		}
	}
	for k, id := range commentIDs {
		if k%200 == 99 {
			res.HiddenComments++
			if err := report("comment", id, pick(), true); err != nil {
				return fmt.Errorf("consultation: seed moderation: %w", err)
			}
		}
	}
	if err := ib.flush(ctx); err != nil {
		return fmt.Errorf("consultation: seed moderation: %w", err)
	}
	if err := rb.flush(ctx); err != nil {
		return fmt.Errorf("consultation: seed moderation: %w", err)
	}

	// PostgreSQL's identity sequences do not see explicit IDs.
	if m.db.Engine == db.Postgres {
		for _, t := range []string{"users", "consultation_observations", "comments", "moderation_items"} {
			if _, err := tx.ExecContext(ctx, `SELECT setval(pg_get_serial_sequence('`+t+`', 'id'), (SELECT MAX(id) FROM `+t+`))`); err != nil {
				return fmt.Errorf("consultation: seed sequence %s: %w", t, err)
			}
		}
	}

	// What the benchmarks and the report name.
	counts := make([]int, 0, len(obs))
	for _, o := range obs {
		if o.withdrawn || o.hidden {
			continue
		}
		counts = append(counts, o.comments)
		if int64(o.comments) > res.BusiestComments {
			res.BusiestObservation, res.BusiestComments = o.id, int64(o.comments)
		}
	}
	if len(counts) > 0 {
		sorted := append([]int(nil), counts...)
		slices.Sort(sorted)
		median := sorted[len(sorted)/2]
		for _, o := range obs {
			if !o.withdrawn && !o.hidden && o.comments == median {
				res.TypicalObservation = o.id
				break
			}
		}
	}
	perPara := map[int64]int{}
	for _, o := range obs {
		perPara[o.para.ID]++
	}
	pc := make([]int, 0, len(paras))
	for _, p := range paras {
		n := perPara[p.ID]
		pc = append(pc, n)
		if int64(n) > res.BusiestParagraphN {
			res.BusiestParagraph, res.BusiestParagraphN = p.ID, int64(n)
		}
	}
	slices.Sort(pc)
	if len(pc) > 0 {
		res.MedianParagraphObs, res.MaxParagraphObs = pc[len(pc)/2], pc[len(pc)-1]
	}
	return nil
}

// batch accumulates rows of a multi-row INSERT and sends them a few dozen
// at a time: SQLite looks "$n" parameters up by name in a list, so the cost
// of preparing a statement grows with the square of its parameters, and
// about 250 of them is where fewer round trips stop paying.
type batch struct {
	tx      *sql.Tx
	head    string
	cols    int
	perStmt int
	rows    int
	args    []any
	sb      strings.Builder
	after   *batch // rows this batch's rows refer to, written first
}

const batchParams = 250

func newBatch(tx *sql.Tx, head string, cols int) *batch {
	return &batch{tx: tx, head: head, cols: cols, perStmt: max(1, batchParams/cols)}
}

func (b *batch) add(ctx context.Context, vals ...any) error {
	if len(vals) != b.cols {
		return fmt.Errorf("batch: %d values for %d columns", len(vals), b.cols)
	}
	if b.rows == 0 {
		b.sb.Reset()
		b.sb.WriteString(b.head)
	} else {
		b.sb.WriteString(", ")
	}
	b.sb.WriteByte('(')
	for i := range vals {
		if i > 0 {
			b.sb.WriteString(", ")
		}
		b.sb.WriteByte('$')
		b.sb.WriteString(strconv.Itoa(len(b.args) + i + 1))
	}
	b.sb.WriteByte(')')
	b.args = append(b.args, vals...)
	b.rows++
	if b.rows >= b.perStmt {
		return b.flush(ctx)
	}
	return nil
}

func (b *batch) flush(ctx context.Context) error {
	if b.rows == 0 {
		return nil
	}
	if b.after != nil {
		if err := b.after.flush(ctx); err != nil {
			return err
		}
	}
	_, err := b.tx.ExecContext(ctx, b.sb.String(), b.args...)
	b.rows, b.args = 0, b.args[:0]
	return err
}
