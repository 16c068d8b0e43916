// Package verification records how sure the platform is of who a
// participant is — email, SPID L1/L2/L3, CIE, the municipality's OpenID
// Connect login, or an in-person check at a municipal desk — and holds the
// participant's verified legal identity (codice fiscale, names, birth date),
// encrypted, with a keyed hash of the codice fiscale so that one person can
// hold one account only.
package verification

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/arengo/arengo/internal/kernel"
)

// Method is how a participant was verified.
type Method string

// The methods.
const (
	MethodEmail Method = "email"
	MethodSPID  Method = "spid"
	MethodCIE   Method = "cie"
	MethodOIDC  Method = "oidc"
	MethodDesk  Method = "desk"
)

// Valid reports whether m is a known method.
func (m Method) Valid() bool {
	switch m {
	case MethodEmail, MethodSPID, MethodCIE, MethodOIDC, MethodDesk:
		return true
	}
	return false
}

// SPID and CIE levels as stored in Verification.Level.
const (
	LevelSpidL1 = "SpidL1"
	LevelSpidL2 = "SpidL2"
	LevelSpidL3 = "SpidL3"
	LevelCieL1  = "CieL1"
	LevelCieL2  = "CieL2"
	LevelCieL3  = "CieL3"
)

// Strength orders verifications, on the eIDAS scale. OIDC (the
// municipality's own strong login, used by minors) and desk verification (a
// document checked in person) count as substantial, like SPID level 2; CIE
// without a level counts as high, as CIE logins are level 3 by default.
type Strength int

// The strengths.
const (
	StrengthNone        Strength = iota
	StrengthEmail                // a confirmed email address: not a person
	StrengthLow                  // SPID/CIE level 1
	StrengthSubstantial          // SPID/CIE level 2, municipal OIDC, desk
	StrengthHigh                 // SPID/CIE level 3
)

// StrengthOf returns the strength of a verification by method and level.
func StrengthOf(m Method, level string) Strength {
	switch m {
	case MethodEmail:
		return StrengthEmail
	case MethodSPID, MethodCIE:
		switch level {
		case LevelSpidL1, LevelCieL1:
			return StrengthLow
		case LevelSpidL2, LevelCieL2:
			return StrengthSubstantial
		case LevelSpidL3, LevelCieL3:
			return StrengthHigh
		case "":
			if m == MethodCIE {
				return StrengthHigh
			}
		}
		return StrengthNone
	case MethodOIDC, MethodDesk:
		return StrengthSubstantial
	}
	return StrengthNone
}

// Verification is one record.
type Verification struct {
	ID         int64
	UserID     int64
	Method     Method
	Level      string
	VerifiedAt time.Time
	ExpiresAt  time.Time // zero: does not expire
	VerifiedBy int64     // staff member for desk verifications
	Details    map[string]string
}

// Strength of v.
func (v Verification) Strength() Strength { return StrengthOf(v.Method, v.Level) }

// Active reports whether v has not expired at now.
func (v Verification) Active(now time.Time) bool {
	return v.ExpiresAt.IsZero() || now.Before(v.ExpiresAt)
}

// NewVerification is what Record needs.
type NewVerification struct {
	Method     Method
	Level      string
	ExpiresAt  time.Time // zero: no expiry
	VerifiedBy int64
	Details    map[string]string // e.g. {"idp": "https://…"}; never personal data
}

// Errors of LinkIdentity.
var (
	// ErrIdentityTaken: the person (codice fiscale) already has another
	// account. Wraps kernel.ErrConflict.
	ErrIdentityTaken = fmt.Errorf("verification: this person already has another account: %w", kernel.ErrConflict)
	// ErrIdentityMismatch: the account is already linked to another person.
	ErrIdentityMismatch = fmt.Errorf("verification: this account belongs to another person: %w", kernel.ErrConflict)
)

// Message keys a page can show for the errors above.
const (
	KeyIdentityTaken    = "verification.error.identity_taken"
	KeyIdentityMismatch = "verification.error.identity_mismatch"
)

// ReasonKey returns the message key explaining err, or "" when err is not
// one of this package's conflicts.
func ReasonKey(err error) string {
	switch {
	case errors.Is(err, ErrIdentityTaken):
		return KeyIdentityTaken
	case errors.Is(err, ErrIdentityMismatch):
		return KeyIdentityMismatch
	}
	return ""
}

func detailsJSON(d map[string]string) (string, error) {
	if len(d) == 0 {
		return "{}", nil
	}
	b, err := json.Marshal(d)
	return string(b), err
}
