// Package census answers two questions about a person, given their codice
// fiscale: are they resident in the Comune (and in which Municipio), and are
// they on the electoral roll. Both are a Source; the platform has two
// implementations of each:
//
//   - a CSV import of the list, stored as keyed hashes (see Store and
//     `arengo census import`), for municipalities that export their registry;
//   - an HTTP/JSON client of a municipal registry service (see HTTPClient).
//
// The codice fiscale is never stored in clear nor written to logs or errors.
package census

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/arengo/arengo/internal/identity/codicefiscale"
)

// Kind names a list.
type Kind string

// The lists.
const (
	Residents Kind = "residents"
	Electors  Kind = "electors"
)

// Valid reports whether k is a known list.
func (k Kind) Valid() bool { return k == Residents || k == Electors }

// Record is a list's answer about one person.
type Record struct {
	Listed    bool   // resident (Residents) or elector (Electors)
	Municipio string // census code of the person's Municipio, e.g. "5"; "" when unknown or none
}

// Source looks a person up in one list. Implementations return ErrUnavailable
// (wrapped) when they cannot answer — callers must then keep what they knew
// rather than conclude the person is not listed.
type Source interface {
	Lookup(ctx context.Context, fiscalCode string) (Record, error)
}

// ErrUnavailable means the list could not be consulted (service down, timeout,
// garbled answer).
var ErrUnavailable = errors.New("census: registry unavailable")

// Static is a fixed list in memory, keyed by codice fiscale: for tests and
// the demo's fictitious population.
type Static map[string]Record

// Lookup implements Source.
func (s Static) Lookup(_ context.Context, fiscalCode string) (Record, error) {
	r, ok := s[codicefiscale.Normalize(fiscalCode)]
	if !ok {
		return Record{}, nil
	}
	r.Listed = true
	return r, nil
}

// MaxMunicipioLen bounds a Municipio code.
const MaxMunicipioLen = 16

// NormalizeMunicipio trims a Municipio code and drops leading zeros from a
// numeric one, so "05", " 5" and "5" are the same Municipio.
func NormalizeMunicipio(s string) (string, error) {
	s = strings.TrimSpace(s)
	if len(s) > MaxMunicipioLen {
		return "", fmt.Errorf("municipio %q is longer than %d characters", s, MaxMunicipioLen)
	}
	numeric := s != ""
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
		case (r >= 'A' && r <= 'Z') || (r >= 'a' && r <= 'z') || r == '-' || r == ' ':
			numeric = false
		default:
			return "", fmt.Errorf("municipio %q may only hold letters, digits, spaces and '-'", s)
		}
	}
	if numeric {
		s = strings.TrimLeft(s, "0")
		if s == "" {
			s = "0"
		}
	}
	return s, nil
}
