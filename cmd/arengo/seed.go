package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"time"

	"github.com/arengo/arengo/internal/app"
	"github.com/arengo/arengo/internal/authz"
	"github.com/arengo/arengo/internal/component"
	"github.com/arengo/arengo/internal/components/consultation"
	"github.com/arengo/arengo/internal/config"
	"github.com/arengo/arengo/internal/kernel"
	"github.com/arengo/arengo/internal/space/process"
)

const seedUsage = `usage: arengo seed consultation [--database DSN] [--paragraphs 500] [--observations 5000] [--comments 20000]
                                [--participants 2000] [--seed 1] [--slug S]

Creates a published process with an open observation phase and a
consultation filled with generated content, for measuring performance.
Never run it on a production database: it adds thousands of fictitious
accounts.`

// seedCmd runs "arengo seed consultation".
func seedCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "consultation" {
		return errors.New(seedUsage)
	}
	fs := flag.NewFlagSet("arengo seed consultation", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var spec consultation.Bulk
	fs.IntVar(&spec.Paragraphs, "paragraphs", 500, "numbered paragraphs of the document")
	fs.IntVar(&spec.Observations, "observations", 5000, "observations")
	fs.IntVar(&spec.Comments, "comments", 20000, "comments on the observations")
	fs.IntVar(&spec.Participants, "participants", 2000, "fictitious accounts that write them")
	fs.Uint64Var(&spec.Seed, "seed", 1, "random seed: the same seed gives the same content")
	slug := fs.String("slug", "", "the new process's slug (default: consultazione-prova-N)")
	cfg, err := config.Load(fs, args[1:], getenv)
	if err != nil {
		return err
	}
	if spec.Observations == 0 {
		spec.Observations = -1 // zero means "none" here, not the default
	}
	if spec.Comments == 0 {
		spec.Comments = -1
	}
	a, err := app.New(ctx, cfg, app.NewLogger(config.Config{LogLevel: "warn", LogFormat: "text"}), kernel.SystemClock{})
	if err != nil {
		return err
	}
	defer a.Close()
	started := time.Now()
	res, c, p, err := seedConsultation(ctx, a, *slug, spec)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Seeded %s (%s) in %s:\n", redacted(cfg.DatabaseURL), a.DB.Engine, time.Since(started).Round(time.Millisecond))
	fmt.Fprintf(stdout, "  process      /processes/%s (id %d)\n", p.Slug, p.ID)
	fmt.Fprintf(stdout, "  consultation %s (component %d)\n", component.PublicURL(p.Slug, c.ID), c.ID)
	fmt.Fprintf(stdout, "  document     %d sections, %d paragraphs, %d KiB (imported in %s)\n", res.Sections, res.Paragraphs, res.DocumentBytes>>10, res.DocumentImport.Round(time.Millisecond))
	fmt.Fprintf(stdout, "  observations %d (%d withdrawn, %d hidden, %d with a pending report), %d versions\n", res.Observations, res.Withdrawn, res.HiddenObservations, res.PendingReports, res.Versions)
	fmt.Fprintf(stdout, "               per paragraph: median %d, most %d\n", res.MedianParagraphObs, res.MaxParagraphObs)
	fmt.Fprintf(stdout, "  supports     %d\n", res.Supports)
	fmt.Fprintf(stdout, "  comments     %d (%d deleted, %d hidden), %d votes\n", res.Comments, res.Deleted, res.HiddenComments, res.Votes)
	fmt.Fprintf(stdout, "  replies      %d published, %d drafts\n", res.Published, res.Drafts)
	fmt.Fprintf(stdout, "  participants %d\n", res.Participants)
	fmt.Fprintf(stdout, "  bulk insert  %s, ANALYZE %s\n", res.BulkInsert.Round(time.Millisecond), res.Analysis.Round(time.Millisecond))
	base := component.PublicURL(p.Slug, c.ID)
	fmt.Fprintf(stdout, "Pages to measure:\n  %s\n  %s/observations/%d   (median thread)\n  %s/observations/%d   (busiest thread, %d comments)\n",
		base, base, res.TypicalObservation, base, res.BusiestObservation, res.BusiestComments)
	return nil
}

// redacted hides the password of a PostgreSQL URL.
func redacted(dsn string) string {
	if u, err := url.Parse(dsn); err == nil && u.User != nil {
		return u.Redacted()
	}
	return dsn
}

// seedConsultation creates a published process whose observation phase is
// open now, a published consultation in it, and fills it with spec.
func seedConsultation(ctx context.Context, a *app.App, slug string, spec consultation.Bulk) (consultation.BulkResult, component.Component, process.Process, error) {
	var res consultation.BulkResult
	now := a.Clock.Now()
	if slug == "" {
		_, n, err := a.Services.Processes.List(ctx, process.Filter{Limit: 1})
		if err != nil {
			return res, component.Component{}, process.Process{}, err
		}
		slug = "consultazione-prova-" + strconv.Itoa(n+1) + "-" + strconv.FormatInt(now.Unix()%100000, 10)
	}
	p, err := a.Services.Processes.Create(ctx, process.ProcessInput{Slug: slug,
		Title:    kernel.Text{kernel.LocaleIT: "Consultazione di prova (dati generati)", kernel.LocaleEN: "Test consultation (generated data)"},
		StartsOn: now.AddDate(0, 0, -30), EndsOn: now.AddDate(0, 0, 60), Published: true})
	if err != nil {
		return res, component.Component{}, p, fmt.Errorf("seed process: %w", err)
	}
	ph, err := a.Services.Processes.AddPhase(ctx, p.ID, process.PhaseInput{Title: kernel.Text{kernel.LocaleIT: "Osservazioni", kernel.LocaleEN: "Observations"},
		StartsAt: now.AddDate(0, 0, -30), EndsAt: now.AddDate(0, 0, 30)})
	if err != nil {
		return res, component.Component{}, p, fmt.Errorf("seed phase: %w", err)
	}
	space := authz.SpaceRef{Type: authz.SpaceProcess, ID: p.ID}
	comps := a.Services.Components
	c, err := comps.Create(ctx, space, consultation.Type, kernel.Text{kernel.LocaleIT: "Piano di prova", kernel.LocaleEN: "Test plan"})
	if err != nil {
		return res, c, p, err
	}
	if err := comps.SetPhaseActions(ctx, c.ID, component.PhaseActions{ph.ID: {component.ActionObserve, component.ActionSupport, component.ActionComment}}); err != nil {
		return res, c, p, err
	}
	if err := comps.SetPublished(ctx, c.ID, true); err != nil {
		return res, c, p, err
	}
	if c, err = comps.Get(ctx, c.ID); err != nil {
		return res, c, p, err
	}
	// A module of its own: the app's one is registered with comments and
	// moderation, which seeding does not go through.
	cons, err := consultation.New(consultation.Deps{DB: a.DB, Clock: a.Clock, Catalog: a.Catalog, Limiter: a.Limiter, Authz: a.Services.Authz})
	if err != nil {
		return res, c, p, err
	}
	if err := cons.SaveSettings(ctx, c, consultation.SettingsInput{Prefix: "PRV", MaxLength: "5000"}); err != nil {
		return res, c, p, err
	}
	spec.Now = now
	res, err = cons.SeedBulk(ctx, c, spec)
	return res, c, p, err
}
