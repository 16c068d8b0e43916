package consultation_test

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/arengo/arengo/internal/authz"
	"github.com/arengo/arengo/internal/authz/authztest"
	"github.com/arengo/arengo/internal/component"
	"github.com/arengo/arengo/internal/components/consultation"
	"github.com/arengo/arengo/internal/db"
	"github.com/arengo/arengo/internal/db/dbtest"
	"github.com/arengo/arengo/internal/i18n"
	"github.com/arengo/arengo/internal/kernel"
	"github.com/arengo/arengo/internal/ratelimit"
	"github.com/arengo/arengo/internal/space/roles"
)

var t0 = time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)

const testDoc = `# Piano Aria e Clima

## Art. 1 – Mobilità | Mobility

1. Il Comune estende l'area a basse emissioni.

2. Il trasporto pubblico diventa elettrico entro il 2030.

## Art. 2 – Riscaldamento | Heating

1. Dal 2027 non si installano nuove caldaie a gasolio.
`

type fixture struct {
	d     *db.DB
	m     *consultation.Module
	c     component.Component
	clock *kernel.FixedClock
	users []int64
	paras []int64 // current paragraphs in document order
	pid   int64
}

// newFixture builds a published consultation whose observe, support and
// comment actions are open now, with n confirmed participants.
func newFixture(t *testing.T, d *db.DB, n int, opt consultation.Options) *fixture {
	t.Helper()
	ctx := context.Background()
	clock := &kernel.FixedClock{T: t0}
	cat, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	reg := component.NewRegistry()
	az := authz.New(d, clock, roles.NewService(d, clock), reg, nil)
	m, err := consultation.New(consultation.Deps{DB: d, Clock: clock, Catalog: cat, Limiter: ratelimit.New(d, clock), Authz: az, Options: opt})
	if err != nil {
		t.Fatal(err)
	}
	if err := reg.Register(m.Manifest()); err != nil {
		t.Fatal(err)
	}
	pid, phases := authztest.CreateProcess(t, d, "aria", true, authztest.Phase{Title: "Osservazioni", Start: t0.Add(-time.Hour), End: t0.Add(24 * time.Hour)})
	comps := component.NewService(d, clock, reg)
	c, err := comps.Create(ctx, authz.SpaceRef{Type: authz.SpaceProcess, ID: pid}, consultation.Type, kernel.Text{"it": "Piano Aria e Clima"})
	if err != nil {
		t.Fatal(err)
	}
	if err := comps.SetPhaseActions(ctx, c.ID, component.PhaseActions{phases[0]: {"observe", "support", "comment"}}); err != nil {
		t.Fatal(err)
	}
	if err := comps.SetPublished(ctx, c.ID, true); err != nil {
		t.Fatal(err)
	}
	if c, err = comps.Get(ctx, c.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := m.ImportDocument(ctx, c, testDoc, ""); err != nil {
		t.Fatal(err)
	}
	f := &fixture{d: d, m: m, c: c, clock: clock, pid: pid}
	for i := 0; i < n; i++ {
		f.users = append(f.users, authztest.CreateUser(t, d, authztest.User{Nickname: fmt.Sprintf("cittadino%02d", i)}))
	}
	doc, err := m.Document(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range doc.Sections {
		for _, p := range s.Paragraphs {
			f.paras = append(f.paras, p.ID)
		}
	}
	return f
}

func TestImportKeepsParagraphIdentity(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f := newFixture(t, d, 1, consultation.Options{})
		doc, err := f.m.Document(ctx, f.c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(doc.Sections) != 2 || doc.Sections[0].Label != "Art. 1" || doc.Sections[0].Title["en"] != "Mobility" || len(f.paras) != 3 {
			t.Fatalf("document: %+v, paragraphs %v", doc.Sections, f.paras)
		}
		o, err := f.m.File(ctx, f.users[0], f.c, f.paras[1], consultation.ObservationInput{Kind: "modify", Body: "Prima, entro il 2028.",
			Proposed: "Il trasporto pubblico diventa elettrico entro il 2028."})
		if err != nil {
			t.Fatal(err)
		}
		// Version 2 changes Art. 1 comma 2, drops comma 1, adds Art. 3.
		v2 := "## Art. 1 – Mobilità\n\n2. Il trasporto pubblico diventa elettrico entro il 2032.\n\n## Art. 2 – Riscaldamento\n\n1. Dal 2027 non si installano nuove caldaie a gasolio.\n\n## Art. 3 – Verde\n\n1. Si piantano 3 milioni di alberi."
		res, err := f.m.ImportDocument(ctx, f.c, v2, "seconda lettura")
		if err != nil {
			t.Fatal(err)
		}
		if res.Version != 2 || res.Added != 1 || res.Changed != 1 || res.Retired != 1 {
			t.Fatalf("import result: %+v", res)
		}
		p, err := f.m.Paragraph(ctx, f.c.ID, f.paras[1])
		if err != nil || p.Retired || !strings.Contains(p.Body, "2032") || p.ChangedVersion != 2 {
			t.Fatalf("comma 2 kept its identity with the new text: %+v %v", p, err)
		}
		if p, _ := f.m.Paragraph(ctx, f.c.ID, f.paras[0]); !p.Retired {
			t.Fatal("comma 1 should be retired")
		}
		got, err := f.m.Observation(ctx, f.c.ID, o.ID, false)
		if err != nil || got.ParagraphID != f.paras[1] || !strings.Contains(got.ParagraphText, "2030") {
			t.Fatalf("observation keeps its paragraph and the text as filed: %+v %v", got, err)
		}
		// A bad import changes nothing.
		if _, err := f.m.ImportDocument(ctx, f.c, "## Art. 1\n\n1. a\n\n1. b", ""); !errors.Is(err, kernel.ErrInvalid) {
			t.Fatalf("duplicate comma: %v", err)
		}
		var versions int
		d.R().QueryRow(`SELECT document_version FROM consultations WHERE component_id = $1`, f.c.ID).Scan(&versions)
		if versions != 2 {
			t.Fatalf("document version after a refused import: %d", versions)
		}
	})
}

// Concurrent filings get consecutive protocol numbers: no gap, no duplicate.
func TestProtocolNumbersUnderConcurrency(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		const n = 12
		f := newFixture(t, d, n, consultation.Options{})
		var wg sync.WaitGroup
		errs := make(chan error, n)
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				_, err := f.m.File(ctx, f.users[i], f.c, f.paras[i%len(f.paras)], consultation.ObservationInput{Kind: "general", Body: fmt.Sprintf("Osservazione numero %d", i)})
				errs <- err
			}(i)
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		rows, err := d.R().Query(`SELECT protocol FROM consultation_observations WHERE component_id = $1`, f.c.ID)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var got []string
		for rows.Next() {
			var p string
			rows.Scan(&p)
			got = append(got, p)
		}
		sort.Strings(got)
		for i, p := range got {
			if want := consultation.FormatProtocol("OSS", 2026, i+1); p != want {
				t.Fatalf("protocol %d = %s, want %s (all: %v)", i, p, want, got)
			}
		}
		if len(got) != n {
			t.Fatalf("%d observations, want %d", len(got), n)
		}
		if n := count(t, d, `SELECT COUNT(*) FROM outbox`); n != 12 {
			t.Fatalf("receipts: %d", n)
		}
	})
}

func count(t *testing.T, d *db.DB, q string, args ...any) int {
	t.Helper()
	var n int
	if err := d.R().QueryRow(q, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// Two supports by the same person at once count once; supporting one's own
// observation is refused with a reason.
func TestSupportsUnderConcurrency(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f := newFixture(t, d, 3, consultation.Options{})
		o, err := f.m.File(ctx, f.users[0], f.c, f.paras[0], consultation.ObservationInput{Kind: "general", Body: "Serve più controllo."})
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		for i := 0; i < 6; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := f.m.Support(ctx, f.users[1], f.c, o.ID); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		if n := count(t, d, `SELECT supports_count FROM consultation_observations WHERE id = $1`, o.ID); n != 1 {
			t.Fatalf("supports_count %d, want 1", n)
		}
		if n := count(t, d, `SELECT COUNT(*) FROM consultation_supports WHERE observation_id = $1`, o.ID); n != 1 {
			t.Fatalf("support rows %d", n)
		}
		err = f.m.Support(ctx, f.users[0], f.c, o.ID)
		if ie, ok := kernel.AsInvalid(err); !ok || ie.Fields[0].Key != "consultation.error.support_own" {
			t.Fatalf("own support: %v", err)
		}
		if err := f.m.Unsupport(ctx, f.users[1], f.c, o.ID); err != nil {
			t.Fatal(err)
		}
		if err := f.m.Unsupport(ctx, f.users[1], f.c, o.ID); err != nil {
			t.Fatal(err)
		}
		if n := count(t, d, `SELECT supports_count FROM consultation_observations WHERE id = $1`, o.ID); n != 0 {
			t.Fatalf("after unsupport: %d", n)
		}
	})
}

// Every version is kept; once supported, the observation is locked.
func TestVersionsAndLock(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f := newFixture(t, d, 2, consultation.Options{})
		o, err := f.m.File(ctx, f.users[0], f.c, f.paras[0], consultation.ObservationInput{Kind: "general", Body: "Prima stesura."})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.m.Edit(ctx, f.users[0], f.c, o.ID, consultation.ObservationInput{Kind: "modify", Body: "Seconda stesura.",
			Proposed: "Il Comune estende l'area a basse emissioni a tutta la città."}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.m.Edit(ctx, f.users[1], f.c, o.ID, consultation.ObservationInput{Kind: "general", Body: "Non mia."}); !errors.Is(err, kernel.ErrForbidden) {
			t.Fatalf("someone else's edit: %v", err)
		}
		vs, err := f.m.Versions(ctx, o.ID)
		if err != nil || len(vs) != 2 || vs[0].Body != "Prima stesura." || vs[1].Kind != "modify" || vs[1].Proposed == "" {
			t.Fatalf("versions: %+v %v", vs, err)
		}
		if err := f.m.Support(ctx, f.users[1], f.c, o.ID); err != nil {
			t.Fatal(err)
		}
		_, err = f.m.Edit(ctx, f.users[0], f.c, o.ID, consultation.ObservationInput{Kind: "general", Body: "Terza."})
		if ie, ok := kernel.AsInvalid(err); !ok || ie.Fields[0].Key != "consultation.locked.public_record" {
			t.Fatalf("edit after support: %v", err)
		}
		if _, err := f.m.Withdraw(ctx, f.users[0], f.c, o.ID); err == nil {
			t.Fatal("withdraw after support allowed")
		}
		if n := count(t, d, `SELECT COUNT(*) FROM consultation_observation_versions WHERE observation_id = $1`, o.ID); n != 2 {
			t.Fatalf("versions after refused edit: %d", n)
		}
	})
}

// Replies are published together in one transaction: when any part fails,
// none is published and nobody is notified.
func TestRepliesPublishAtomically(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f := newFixture(t, d, 3, consultation.Options{})
		evaluator := authztest.CreateUser(t, d, authztest.User{Nickname: "valutatrice"})
		authztest.Grant(t, d, f.pid, evaluator, authz.RoleEvaluator)
		var ids []int64
		for i := 0; i < 3; i++ {
			o, err := f.m.File(ctx, f.users[i], f.c, f.paras[i], consultation.ObservationInput{Kind: "general", Body: fmt.Sprintf("Testo %d", i)})
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, o.ID)
		}
		if err := f.m.SaveDraft(ctx, f.users[2], f.c, ids[0], consultation.ReplyInput{Outcome: "accepted", Body: "Sì", Office: "X"}); !errors.Is(err, kernel.ErrForbidden) {
			t.Fatalf("a participant drafting: %v", err)
		}
		for i, outcome := range []string{"accepted", "rejected"} {
			if err := f.m.SaveDraft(ctx, evaluator, f.c, ids[i], consultation.ReplyInput{Outcome: outcome, Body: "Motivazione " + outcome, Office: "Direzione Ambiente"}); err != nil {
				t.Fatal(err)
			}
		}
		before := count(t, d, `SELECT COUNT(*) FROM outbox`)
		// Break the notifications table so the publication fails half-way.
		if _, err := d.W().Exec(`ALTER TABLE notifications RENAME TO notifications_off`); err != nil {
			t.Fatal(err)
		}
		if _, err := f.m.PublishReplies(ctx, f.c, consultation.PublishInput{Note: "Delibera n. 1"}); err == nil {
			t.Fatal("publication should have failed")
		}
		if n := count(t, d, `SELECT COUNT(*) FROM consultation_replies WHERE published_at IS NOT NULL`); n != 0 {
			t.Fatalf("%d replies published by a failed act", n)
		}
		if n := count(t, d, `SELECT COUNT(*) FROM consultation_reply_publications`) + count(t, d, `SELECT COUNT(*) FROM outbox`) - before; n != 0 {
			t.Fatalf("failed act left %d rows", n)
		}
		if _, err := d.W().Exec(`ALTER TABLE notifications_off RENAME TO notifications`); err != nil {
			t.Fatal(err)
		}
		n, err := f.m.PublishReplies(ctx, f.c, consultation.PublishInput{Note: "Delibera n. 1", DecidedOn: "2026-11-20"})
		if err != nil || n != 2 {
			t.Fatalf("publish: %d %v", n, err)
		}
		if n := count(t, d, `SELECT COUNT(*) FROM consultation_replies WHERE published_at IS NOT NULL`); n != 2 {
			t.Fatalf("published %d", n)
		}
		if n := count(t, d, `SELECT COUNT(*) FROM notifications WHERE kind = 'consultation.reply'`); n != 2 {
			t.Fatalf("notifications %d", n)
		}
		if n := count(t, d, `SELECT COUNT(*) FROM outbox`) - before; n != 2 {
			t.Fatalf("reply emails %d", n)
		}
		if n := count(t, d, `SELECT COUNT(*) FROM audit_log WHERE action = 'consultation.replies.publish'`); n != 1 {
			t.Fatalf("audit %d", n)
		}
		// Published replies are final; nothing left to publish.
		err = f.m.SaveDraft(ctx, evaluator, f.c, ids[0], consultation.ReplyInput{Outcome: "rejected", Body: "No", Office: "X"})
		if ie, ok := kernel.AsInvalid(err); !ok || ie.Fields[0].Key != "consultation.error.reply_published" {
			t.Fatalf("editing a published reply: %v", err)
		}
		if _, err := f.m.PublishReplies(ctx, f.c, consultation.PublishInput{}); !errors.Is(err, kernel.ErrInvalid) {
			t.Fatalf("publishing nothing: %v", err)
		}
		o, err := f.m.Observation(ctx, f.c.ID, ids[1], false)
		if err != nil || !o.Answered() || o.Reply.Outcome != "rejected" {
			t.Fatalf("public reply: %+v %v", o, err)
		}
	})
}
