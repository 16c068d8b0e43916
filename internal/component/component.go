package component

import (
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/arengo/arengo/internal/authz"
	"github.com/arengo/arengo/internal/kernel"
)

// Component is one tool mounted in a space.
type Component struct {
	ID          int64
	Space       authz.SpaceRef
	Type        string
	Name        kernel.Text
	Position    int
	Settings    Settings
	PublishedAt sql.NullTime
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// Published reports whether the public can see the component.
func (c Component) Published() bool { return c.PublishedAt.Valid }

// PublicURL is the component's public address inside a process.
func PublicURL(processSlug string, id int64) string {
	return "/processes/" + processSlug + "/c/" + strconv.FormatInt(id, 10)
}

// AdminURL is the component's admin address; suffix is appended ("/edit").
func AdminURL(processID, id int64, suffix string) string {
	return "/admin/processes/" + strconv.FormatInt(processID, 10) + "/components/" + strconv.FormatInt(id, 10) + suffix
}

// Settings are a component's configuration: values for the whole
// component, and values that differ per phase (keyed by phase ID).
type Settings struct {
	Global map[string]string            `json:"global"`
	Phases map[string]map[string]string `json:"phases"`
}

// Get returns a setting's value in phaseID (0 for none), falling back to the global value.
func (s Settings) Get(key string, phaseID int64) string {
	if v, ok := s.Phases[strconv.FormatInt(phaseID, 10)][key]; ok {
		return v
	}
	return s.Global[key]
}

// Value implements driver.Valuer.
func (s Settings) Value() (driver.Value, error) {
	if s.Global == nil {
		s.Global = map[string]string{}
	}
	if s.Phases == nil {
		s.Phases = map[string]map[string]string{}
	}
	b, err := json.Marshal(s)
	return string(b), err
}

// Scan implements sql.Scanner.
func (s *Settings) Scan(src any) error {
	var b []byte
	switch v := src.(type) {
	case string:
		b = []byte(v)
	case []byte:
		b = v
	case nil:
	default:
		return fmt.Errorf("component: cannot scan settings from %T", src)
	}
	*s = Settings{}
	if len(b) > 0 {
		if err := json.Unmarshal(b, s); err != nil {
			return fmt.Errorf("component: settings: %w", err)
		}
	}
	if s.Global == nil {
		s.Global = map[string]string{}
	}
	if s.Phases == nil {
		s.Phases = map[string]map[string]string{}
	}
	return nil
}

// MaxNameLen bounds a component's name in each language.
const MaxNameLen = 80

// validateName checks a component name: Italian required, each language
// within MaxNameLen and free of control characters.
func validateName(v *kernel.Validator, name kernel.Text) kernel.Text {
	out := kernel.Text{}
	for _, l := range kernel.Locales {
		s := strings.TrimSpace(name[l])
		field := "name_" + l
		switch {
		case s == "" && l == kernel.LocaleIT:
			v.Add(field, "component.error.name_required")
		case utf8.RuneCountInString(s) > MaxNameLen:
			v.Add(field, "component.error.name_too_long", "max", MaxNameLen)
		case strings.ContainsFunc(s, func(r rune) bool { return r < ' ' || r == 0x7f }):
			v.Add(field, "component.error.name_control")
		}
		if s != "" {
			out[l] = s
		}
	}
	return out
}
