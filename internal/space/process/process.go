// Package process is the participatory process space: territories (the
// Comune and its districts), processes with ordered phases, and each
// process's Participation Pact, drafted by staff and published as immutable
// numbered versions.
package process

import (
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/arengo/arengo/internal/kernel"
)

// SpaceType names processes wherever a space is referenced (components,
// roles, the audit log).
const SpaceType = "process"

// Field limits, in characters.
const (
	MaxTitleLen       = 200
	MaxSubtitleLen    = 300
	MaxDescriptionLen = 20_000
	MaxSectionLen     = 20_000
	MaxSlugLen        = 80
	MaxTerritoryLen   = 100
	MaxPhaseTitleLen  = 200
	MaxPhaseDescLen   = 5_000
	MaxChangeNoteLen  = 1_000
)

// The dates a process or phase may take: anything outside is a typo (year
// 20266) rather than a plan.
var (
	minDate = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	maxDate = time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)
)

// Territory kinds.
const (
	KindComune    = "comune"
	KindMunicipio = "municipio"
)

// Kinds lists the territory kinds, widest first.
func Kinds() []string { return []string{KindComune, KindMunicipio} }

// Territory is the Comune or one of its districts (Milan's Municipi 1–9).
type Territory struct {
	ID       int64
	Slug     string
	Name     kernel.Text
	Kind     string
	ParentID int64 // 0 for the Comune
	Position int
}

// TerritoryInput is what an administrator submits.
type TerritoryInput struct {
	Name     kernel.Text
	Slug     string
	Kind     string
	ParentID int64
}

// Validate adds a field error for each problem. Whether ParentID names a
// comune is checked by the service, which can read it.
func (in TerritoryInput) Validate(v *kernel.Validator) {
	validateText(v, "name", in.Name, MaxTerritoryLen, "process.territory.error.name_required")
	validateSlug(v, "slug", in.Slug, true)
	switch in.Kind {
	case KindComune:
		v.Check(in.ParentID == 0, "parent_id", "process.territory.error.comune_parent")
	case KindMunicipio:
		v.Check(in.ParentID != 0, "parent_id", "process.territory.error.parent_required")
	default:
		v.Add("kind", "process.territory.error.kind")
	}
}

// Status is where a process stands relative to its dates.
type Status string

// The statuses.
const (
	StatusUpcoming Status = "upcoming"
	StatusOpen     Status = "open"
	StatusClosed   Status = "closed"
)

// Statuses lists them in the order of a process's life.
func Statuses() []Status { return []Status{StatusUpcoming, StatusOpen, StatusClosed} }

// Process is a participatory process.
type Process struct {
	ID            int64
	Slug          string
	Title         kernel.Text
	Subtitle      kernel.Text
	Description   kernel.Text
	TerritoryID   int64 // 0: no territory
	StartsOn      time.Time
	EndsOn        time.Time // exclusive: the first instant after the last day
	PublishedAt   *time.Time
	PinnedPhaseID int64 // 0: the current phase follows the dates
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// Published reports whether the public can see the process.
func (p Process) Published() bool { return p.PublishedAt != nil }

// LastDay is the last instant of the process (for showing its end date).
func (p Process) LastDay() time.Time { return p.EndsOn.Add(-time.Second) }

// Status computes the process's status at now.
func (p Process) Status(now time.Time) Status {
	switch {
	case now.Before(p.StartsOn):
		return StatusUpcoming
	case !now.Before(p.EndsOn):
		return StatusClosed
	default:
		return StatusOpen
	}
}

// ProcessInput is what an administrator submits. Dates are whole days in
// the platform's time zone: StartsOn is the first day's midnight, EndsOn the
// last day's midnight (the process includes that whole day).
type ProcessInput struct {
	Title       kernel.Text
	Subtitle    kernel.Text
	Description kernel.Text
	Slug        string // empty: derived from the Italian title
	TerritoryID int64
	StartsOn    time.Time
	EndsOn      time.Time
	Published   bool
}

// Validate adds a field error for each problem; fields already wrong (a
// date that did not parse) are left alone.
func (in ProcessInput) Validate(v *kernel.Validator) {
	validateText(v, "title", in.Title, MaxTitleLen, "process.error.title_required")
	validateText(v, "subtitle", in.Subtitle, MaxSubtitleLen, "")
	validateText(v, "description", in.Description, MaxDescriptionLen, "")
	if in.Slug != "" {
		validateSlug(v, "slug", in.Slug, false)
	} else if strings.TrimSpace(in.Title[kernel.LocaleIT]) != "" && Slugify(in.Title[kernel.LocaleIT]) == "" {
		v.Add("slug", "process.error.slug_required")
	}
	validateDateRange(v, "starts_on", "ends_on", in.StartsOn, in.EndsOn, false)
}

// Phase is one step of a process (proposals, co-design, vote, monitoring).
type Phase struct {
	ID          int64
	ProcessID   int64
	Position    int
	Title       kernel.Text
	Description kernel.Text
	StartsAt    time.Time
	EndsAt      time.Time // exclusive
}

// Contains reports whether now falls within the phase.
func (ph Phase) Contains(now time.Time) bool {
	return !now.Before(ph.StartsAt) && now.Before(ph.EndsAt)
}

// Overlaps reports whether two phases share any instant.
func (ph Phase) Overlaps(o Phase) bool {
	return ph.StartsAt.Before(o.EndsAt) && o.StartsAt.Before(ph.EndsAt)
}

// PhaseInput is what an administrator submits.
type PhaseInput struct {
	Title       kernel.Text
	Description kernel.Text
	StartsAt    time.Time
	EndsAt      time.Time
}

// Validate adds a field error for each problem with the phase alone;
// overlaps with the other phases are checked by the service.
func (in PhaseInput) Validate(v *kernel.Validator) {
	validateText(v, "title", in.Title, MaxPhaseTitleLen, "process.phase.error.title_required")
	validateText(v, "description", in.Description, MaxPhaseDescLen, "")
	validateDateRange(v, "starts_at", "ends_at", in.StartsAt, in.EndsAt, true)
}

// CurrentPhase returns the phase in progress at now: the pinned phase when
// the process pins one, else the phase whose [StartsAt, EndsAt) contains now.
// ok is false when no phase is current (between phases, before or after).
func CurrentPhase(p Process, phases []Phase, now time.Time) (ph Phase, ok bool) {
	if p.PinnedPhaseID != 0 {
		for _, ph := range phases {
			if ph.ID == p.PinnedPhaseID {
				return ph, true
			}
		}
	}
	for _, ph := range phases {
		if ph.Contains(now) {
			return ph, true
		}
	}
	return Phase{}, false
}

// PactSections are the standard sections of a Participation Pact, in the
// order they are shown.
var pactSections = []string{"object", "phases", "participants", "methods", "roles", "rights", "results"}

// PactSectionKeys lists the section keys in order.
func PactSectionKeys() []string { return slices.Clone(pactSections) }

// Sections are a Pact's text: section key → Markdown in each language.
type Sections map[string]kernel.Text

// Validate checks the sections for saving a draft (lengths only) or, when
// publishing, that every section is written in Italian too. Field names are
// "section_<key>_<locale>".
func (s Sections) Validate(v *kernel.Validator, publishing bool) {
	for _, key := range pactSections {
		t := s[key]
		for _, loc := range kernel.Locales {
			field := "section_" + key + "_" + loc
			if utf8.RuneCountInString(t[loc]) > MaxSectionLen {
				v.Add(field, "process.error.too_long", "max", MaxSectionLen)
			}
		}
		if publishing && strings.TrimSpace(t[kernel.LocaleIT]) == "" && !v.Has("section_"+key+"_it") {
			v.Add("section_"+key+"_it", "process.pact.error.required."+key)
		}
	}
}

// PactVersion is a published, immutable version of a Pact.
type PactVersion struct {
	ID          int64
	ProcessID   int64
	Version     int
	Sections    Sections
	ChangeNote  kernel.Text
	PublishedAt time.Time
	PublishedBy int64
}

// PactDraft is the text staff are working on.
type PactDraft struct {
	ProcessID int64
	Sections  Sections
	UpdatedAt time.Time // zero when nothing was saved yet
}

func validateText(v *kernel.Validator, field string, t kernel.Text, max int, requiredKey string) {
	for _, loc := range kernel.Locales {
		f := field + "_" + loc
		s := t[loc]
		switch {
		case loc == kernel.LocaleIT && requiredKey != "" && strings.TrimSpace(s) == "":
			v.Add(f, requiredKey)
		case utf8.RuneCountInString(s) > max:
			v.Add(f, "process.error.too_long", "max", max)
		case strings.ContainsRune(s, 0):
			v.Add(f, "process.error.control_chars")
		}
	}
}

var slugRe = regexp.MustCompile(`^[a-z0-9]+(?:-[a-z0-9]+)*$`)

func validateSlug(v *kernel.Validator, field, slug string, required bool) {
	switch {
	case slug == "":
		if required {
			v.Add(field, "process.error.slug_required")
		}
	case len(slug) > MaxSlugLen:
		v.Add(field, "process.error.slug_too_long", "max", MaxSlugLen)
	case !slugRe.MatchString(slug):
		v.Add(field, "process.error.slug_invalid")
	}
}

func validateDateRange(v *kernel.Validator, startField, endField string, start, end time.Time, withTime bool) {
	if !v.Has(startField) {
		switch {
		case start.IsZero():
			v.Add(startField, "process.error.date_required")
		case start.Before(minDate) || !start.Before(maxDate):
			v.Add(startField, "process.error.date_bounds")
		}
	}
	if !v.Has(endField) {
		switch {
		case end.IsZero():
			v.Add(endField, "process.error.date_required")
		case end.Before(minDate) || !end.Before(maxDate):
			v.Add(endField, "process.error.date_bounds")
		}
	}
	if v.Has(startField) || v.Has(endField) {
		return
	}
	if withTime && !end.After(start) {
		v.Add(endField, "process.error.end_before_start_time")
	} else if !withTime && end.Before(start) {
		v.Add(endField, "process.error.end_before_start")
	}
}

// Slugify derives a URL slug from a title: lowercase ASCII letters and
// digits separated by single hyphens ("Piazze aperte – Municipio 8" →
// "piazze-aperte-municipio-8"), at most MaxSlugLen characters.
func Slugify(title string) string {
	var b strings.Builder
	dash := false
	for _, r := range norm.NFKD.String(strings.ToLower(title)) {
		switch {
		case unicode.Is(unicode.Mn, r):
			// accents, dropped after decomposition: "è" → "e"
		case r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r)):
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = false
			b.WriteRune(r)
		default:
			dash = true
		}
	}
	s := b.String()
	if len(s) > MaxSlugLen {
		s = strings.TrimRight(s[:MaxSlugLen], "-")
	}
	return s
}
