// Package page is the simplest participation tool: a Markdown page inside
// a space ("How to take part", "The rules", "Results"). It proves the
// component registry: everything the platform knows about it comes from its
// manifest.
package page

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/arengo/arengo/internal/audit"
	"github.com/arengo/arengo/internal/component"
	"github.com/arengo/arengo/internal/db"
	"github.com/arengo/arengo/internal/kernel"
)

// Type is the page tool's type in the registry.
const Type = "page"

// MaxBodyLen bounds the body in each language, in characters.
const MaxBodyLen = 50000

// Page is a page component's content.
type Page struct {
	ComponentID int64
	Body        kernel.Text // Markdown, per language
	UpdatedAt   time.Time
}

// Module is the page tool: its store and use cases.
type Module struct {
	db    *db.DB
	clock kernel.Clock
}

// New returns the module.
func New(d *db.DB, clock kernel.Clock) *Module { return &Module{db: d, clock: clock} }

// Manifest describes the tool to the registry. A page exposes one action,
// comment, for the comments module to honour; nothing else is done on it.
func (m *Module) Manifest() component.Manifest {
	return component.Manifest{
		Type:           Type,
		NameKey:        "component.page.name",
		DescriptionKey: "component.page.description",
		Actions:        []string{component.ActionComment},
		Created: func(ctx context.Context, tx *sql.Tx, c component.Component) error {
			_, err := tx.ExecContext(ctx, `INSERT INTO pages (component_id, body, updated_at) VALUES ($1, $2, $3)`, c.ID, kernel.Text{}, c.CreatedAt)
			return err
		},
		Mount:     m.mount,
		HasEditor: true,
		Exporters: []component.Exporter{exporter{m}},
	}
}

// Get returns the page of component id.
func (m *Module) Get(ctx context.Context, id int64) (Page, error) {
	p := Page{ComponentID: id}
	err := m.db.R().QueryRowContext(ctx, `SELECT body, updated_at FROM pages WHERE component_id = $1`, id).Scan(&p.Body, &p.UpdatedAt)
	if err != nil {
		return Page{}, fmt.Errorf("page: get %d: %w", id, db.Normalize(err))
	}
	return p, nil
}

// Save replaces the body of the page of c. Field errors: "body_it"
// (required, too long), "body_en" (too long). The body is stored as
// written and sanitised when rendered.
func (m *Module) Save(ctx context.Context, c component.Component, body kernel.Text) error {
	var v kernel.Validator
	clean := kernel.Text{}
	for _, l := range kernel.Locales {
		s := strings.TrimSpace(body[l])
		field := "body_" + l
		switch {
		case s == "" && l == kernel.LocaleIT:
			v.Add(field, "component.page.error.body_required")
		case utf8.RuneCountInString(s) > MaxBodyLen:
			v.Add(field, "component.page.error.body_too_long", "max", MaxBodyLen)
		}
		if s != "" {
			clean[l] = s
		}
	}
	if err := v.Err(); err != nil {
		return err
	}
	now := m.clock.Now()
	return m.db.Tx(ctx, func(tx *sql.Tx) error {
		var before kernel.Text
		if err := tx.QueryRowContext(ctx, `SELECT body FROM pages WHERE component_id = $1`, c.ID).Scan(&before); err != nil {
			return fmt.Errorf("page: load: %w", db.Normalize(err))
		}
		if _, err := tx.ExecContext(ctx, `UPDATE pages SET body = $1, updated_at = $2 WHERE component_id = $3`, clean, now, c.ID); err != nil {
			return fmt.Errorf("page: save: %w", err)
		}
		return audit.Record(ctx, tx, now, audit.Entry{
			Action: "page.update", TargetType: "component", TargetID: c.ID, SpaceType: c.Space.Type, SpaceID: c.Space.ID,
			Before: map[string]any{"body": before}, After: map[string]any{"body": clean},
		})
	})
}

// exporter writes a page's public content as one JSON object.
type exporter struct{ m *Module }

func (exporter) Dataset() string { return "pages" }

func (e exporter) Export(ctx context.Context, c component.Component, w io.Writer) error {
	p, err := e.m.Get(ctx, c.ID)
	if err != nil {
		return err
	}
	return json.NewEncoder(w).Encode(map[string]any{
		"component_id": c.ID, "name": c.Name, "body": p.Body, "updated_at": p.UpdatedAt.UTC().Format(time.RFC3339),
	})
}
