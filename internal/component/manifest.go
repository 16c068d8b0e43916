// Package component is the registry of participation tools and the
// mounting of them in spaces. A tool (page, consultation, proposals,
// budgets…) is a package that registers a Manifest: its type, its
// translated name, the actions it exposes for permissions, its settings, its
// routes and its open-data exporters. Spaces know nothing about a tool's
// internals: they hold components (instances of a tool), order and publish
// them, and open their actions phase by phase.
package component

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"regexp"
	"sort"

	"github.com/arengo/arengo/internal/authz"
)

// Participatory actions a component may declare. Administrators open each
// one in some phases of the process (component_phase_actions); authz checks
// them together with eligibility. The names are shared by every tool so
// that "vote" means the same everywhere.
const (
	ActionCreate  = "create"  // create a proposal, a petition…
	ActionSupport = "support" // support a proposal
	ActionSign    = "sign"    // sign a petition or initiative
	ActionVote    = "vote"    // vote in a budget or ballot
	ActionComment = "comment" // comment on content
	ActionObserve = "observe" // submit a formal observation on a document
	ActionAnswer  = "answer"  // answer a survey
	ActionAttend  = "attend"  // register for a meeting
)

// Setting is one configurable value of a component, with its default.
// Values are stored as strings in the component's settings JSON.
type Setting struct {
	Key      string
	LabelKey string // i18n key of the field label
	Default  string
}

// Exporter writes a component's public data for the open-data bundle.
// Dataset names the file (e.g. "pages"); Export writes c's records to w.
type Exporter interface {
	Dataset() string
	Export(ctx context.Context, c Component, w io.Writer) error
}

// Manifest describes a tool to the platform.
type Manifest struct {
	// Type is the stable identifier stored in components.type ("page").
	Type string
	// NameKey and DescriptionKey are i18n keys shown to administrators
	// choosing a tool to add.
	NameKey        string
	DescriptionKey string
	// Actions are the participatory actions the tool exposes (see the
	// Action constants); a page has none, proposals have create/support/comment.
	Actions []string
	// Settings apply to the whole component; PhaseSettings may take a
	// different value in each phase (e.g. "supports enabled").
	Settings      []Setting
	PhaseSettings []Setting
	// Created runs in the transaction that creates a component, so the
	// tool's own rows exist exactly when the component does.
	Created func(ctx context.Context, tx *sql.Tx, c Component) error
	// Mount registers the tool's public pages and its admin editor.
	Mount func(m *Mount)
	// HasEditor says the tool mounted an admin editor at the root of its
	// admin URL (linked from the components list as "Edit content").
	HasEditor bool
	// Exporters produce the tool's open data.
	Exporters []Exporter
}

// DefaultSettings returns the settings a new component starts with.
func (m Manifest) DefaultSettings() Settings {
	s := Settings{Global: map[string]string{}, Phases: map[string]map[string]string{}}
	for _, st := range m.Settings {
		s.Global[st.Key] = st.Default
	}
	return s
}

// Declares reports whether the manifest exposes action.
func (m Manifest) Declares(action string) bool {
	for _, a := range m.Actions {
		if a == action {
			return true
		}
	}
	return false
}

var typeRe = regexp.MustCompile(`^[a-z][a-z0-9_]{1,30}$`)
var actionRe = regexp.MustCompile(`^[a-z][a-z_]{1,30}$`)

// Registry holds the manifests of the tools this platform offers. The
// composition root builds one and registers every tool before mounting.
type Registry struct {
	byType map[string]Manifest
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry { return &Registry{byType: map[string]Manifest{}} }

// Register adds m. It fails on a malformed or duplicate type, or an action
// that clashes with a staff action (those come from roles, not phases).
func (r *Registry) Register(m Manifest) error {
	if !typeRe.MatchString(m.Type) {
		return fmt.Errorf("component: bad type %q", m.Type)
	}
	if _, dup := r.byType[m.Type]; dup {
		return fmt.Errorf("component: type %q registered twice", m.Type)
	}
	if m.NameKey == "" {
		return fmt.Errorf("component: %s has no name key", m.Type)
	}
	seen := map[string]bool{}
	for _, a := range m.Actions {
		if !actionRe.MatchString(a) || seen[a] || authz.IsStaffAction(a) {
			return fmt.Errorf("component: %s: bad or duplicate action %q", m.Type, a)
		}
		seen[a] = true
	}
	r.byType[m.Type] = m
	return nil
}

// Get returns the manifest of typ.
func (r *Registry) Get(typ string) (Manifest, bool) {
	m, ok := r.byType[typ]
	return m, ok
}

// All returns every manifest, by type.
func (r *Registry) All() []Manifest {
	out := make([]Manifest, 0, len(r.byType))
	for _, m := range r.byType {
		out = append(out, m)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Type < out[j].Type })
	return out
}

// Declares implements authz.ActionCatalog.
func (r *Registry) Declares(typ, action string) bool {
	m, ok := r.byType[typ]
	return ok && m.Declares(action)
}
