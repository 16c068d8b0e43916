// Package eligibility answers "may this participant take this action here?"
// as far as who they are is concerned: how strongly verified, how old,
// resident where, approved city user, elector. Administrators choose a
// Requirement per component action (stored as JSON); Evaluator.Check
// explains every refusal with a specific, actionable message.
package eligibility

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/arengo/arengo/internal/identity/verification"
	"github.com/arengo/arengo/internal/kernel"
)

// Level is the minimum verification an action needs.
type Level string

// The levels, weakest first. OIDC (the municipality's own strong login) and
// desk verification are substantial, like SPID level 2; CIE is high, like
// SPID level 3 (see verification.StrengthOf). A level is a minimum: a
// stronger verification of any method satisfies it.
const (
	LevelNone   Level = "none"
	LevelEmail  Level = "email"
	LevelSpidL1 Level = "spid_l1"
	LevelSpidL2 Level = "spid_l2"
	LevelSpidL3 Level = "spid_l3"
	LevelCIE    Level = "cie"
	LevelOIDC   Level = "oidc"
	LevelDesk   Level = "desk"
)

// Levels lists the levels for admin forms.
var Levels = []Level{LevelNone, LevelEmail, LevelSpidL1, LevelSpidL2, LevelOIDC, LevelDesk, LevelSpidL3, LevelCIE}

// Strength is the verification strength the level needs.
func (l Level) Strength() (verification.Strength, bool) {
	switch l {
	case LevelNone:
		return verification.StrengthNone, true
	case LevelEmail:
		return verification.StrengthEmail, true
	case LevelSpidL1:
		return verification.StrengthLow, true
	case LevelSpidL2, LevelOIDC, LevelDesk:
		return verification.StrengthSubstantial, true
	case LevelSpidL3, LevelCIE:
		return verification.StrengthHigh, true
	}
	return 0, false
}

// Residence is where an action's participants must live.
type Residence string

// The residence rules.
const (
	ResidenceAny       Residence = "any"       // anyone
	ResidenceComune    Residence = "comune"    // residents of the Comune
	ResidenceMunicipio Residence = "municipio" // residents of the space's Municipio
)

// DefaultMinAge is Milan's participation age.
const DefaultMinAge = 16

// MaxMinAge bounds MinAge.
const MaxMinAge = 120

// Requirement is what an action requires of a participant, e.g. signing a
// Municipio petition: {"min_level":"spid_l2","min_age":16,
// "residence":"municipio","allow_city_users":true}.
type Requirement struct {
	MinLevel       Level     `json:"min_level"`
	MinAge         int       `json:"min_age"` // 0: no minimum
	Residence      Residence `json:"residence"`
	AllowCityUsers bool      `json:"allow_city_users"` // approved city users of the territory count as residents
	ElectorsOnly   bool      `json:"electors_only"`
}

// Default is the requirement of an action nobody configured: a confirmed
// email, 16+ as declared at registration.
func Default() Requirement {
	return Requirement{MinLevel: LevelEmail, MinAge: DefaultMinAge, Residence: ResidenceAny, AllowCityUsers: true}
}

// PresetNames lists the presets in the order forms offer them.
var PresetNames = []string{"open", "registered", "resident_comune", "resident_municipio", "electors"}

// PresetsFor returns the presets with minAge as the participation age
// (ARENGO_MIN_AGE) where they use DefaultMinAge; the electors' 18 stays.
func PresetsFor(minAge int) map[string]Requirement {
	out := make(map[string]Requirement, len(Presets))
	for name, r := range Presets {
		if r.MinAge == DefaultMinAge {
			r.MinAge = minAge
		}
		out[name] = r
	}
	return out
}

// DefaultFor is the requirement of an action nobody configured: Default
// with minAge as the participation age, except that commenting has no
// minimum age — a participant too young for an action is told "you can
// read and comment but not sign", and that must stay true.
func DefaultFor(action string, minAge int) Requirement {
	r := Default()
	r.MinAge = minAge
	if action == "comment" {
		r.MinAge = 0
	}
	return r
}

// Presets are ready-made requirements offered to administrators.
var Presets = map[string]Requirement{
	"open":               {MinLevel: LevelNone, MinAge: 0, Residence: ResidenceAny},
	"registered":         Default(),
	"resident_comune":    {MinLevel: LevelSpidL2, MinAge: DefaultMinAge, Residence: ResidenceComune, AllowCityUsers: true},
	"resident_municipio": {MinLevel: LevelSpidL2, MinAge: DefaultMinAge, Residence: ResidenceMunicipio, AllowCityUsers: true},
	"electors":           {MinLevel: LevelSpidL2, MinAge: 18, Residence: ResidenceComune, ElectorsOnly: true},
}

// needsIdentity reports whether checking r needs the verified legal identity.
func (r Requirement) needsIdentity() bool {
	return r.Residence != ResidenceAny || r.ElectorsOnly
}

// Validate checks r; errors name the JSON fields.
func (r Requirement) Validate() error {
	var v kernel.Validator
	s, ok := r.MinLevel.Strength()
	v.Check(ok, "min_level", "eligibility.error.min_level")
	v.Check(r.MinAge >= 0 && r.MinAge <= MaxMinAge, "min_age", "eligibility.error.min_age", "max", MaxMinAge)
	switch r.Residence {
	case ResidenceAny, ResidenceComune, ResidenceMunicipio:
	default:
		v.Add("residence", "eligibility.error.residence")
	}
	// Residence and the electoral roll are only known for people who logged
	// in with a strong identity; asking for them with email-only access
	// would lock everyone out.
	if ok && s < verification.StrengthLow && r.needsIdentity() {
		v.Add("min_level", "eligibility.error.level_for_residence")
	}
	return v.Err()
}

// Parse decodes a stored requirement: absent fields take Default's values
// (so "min_age" is 16 unless set), unknown fields are refused, and the
// result is validated.
func Parse(b []byte) (Requirement, error) {
	r := Default()
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		return Requirement{}, fmt.Errorf("eligibility: requirement JSON: %w", err)
	}
	if err := r.Validate(); err != nil {
		return Requirement{}, err
	}
	return r, nil
}

// JSON encodes r for storage.
func (r Requirement) JSON() string {
	b, _ := json.Marshal(r)
	return string(b)
}
