// Package kernel holds the small shared vocabulary every other package speaks:
// sentinel errors, field validation errors, translatable text, the clock.
package kernel

import (
	"errors"
	"sort"
	"strings"
)

// Sentinel errors. Services wrap them with %w; the web layer maps them to
// status codes (404, 403, 401, 409) with one translated page each.
var (
	ErrNotFound        = errors.New("not found")
	ErrForbidden       = errors.New("forbidden")
	ErrUnauthenticated = errors.New("unauthenticated")
	ErrConflict        = errors.New("conflict")
	ErrRateLimited     = errors.New("rate limited")
)

// FieldError is one problem with one form field. Key is an i18n message key;
// Args fill its {placeholders}.
type FieldError struct {
	Field string
	Key   string
	Args  []any
}

// InvalidError carries every field error of one submission, so a form can be
// re-rendered showing all of them at once (not one per round trip).
type InvalidError struct {
	Fields []FieldError
}

func (e *InvalidError) Error() string {
	parts := make([]string, 0, len(e.Fields))
	for _, f := range e.Fields {
		parts = append(parts, f.Field+": "+f.Key)
	}
	sort.Strings(parts)
	return "invalid input: " + strings.Join(parts, ", ")
}

// Is makes errors.Is(err, ErrInvalid) work for any *InvalidError.
func (e *InvalidError) Is(target error) bool { return target == ErrInvalid }

// ErrInvalid matches any *InvalidError with errors.Is.
var ErrInvalid = errors.New("invalid input")

// Validator collects field errors; Err returns nil when there are none.
type Validator struct {
	fields []FieldError
}

// Add records a problem with field, described by the message key.
func (v *Validator) Add(field, key string, args ...any) {
	v.fields = append(v.fields, FieldError{Field: field, Key: key, Args: args})
}

// Check adds the error when ok is false; it reports ok.
func (v *Validator) Check(ok bool, field, key string, args ...any) bool {
	if !ok {
		v.Add(field, key, args...)
	}
	return ok
}

// Has reports whether field already has an error (to show one message per field).
func (v *Validator) Has(field string) bool {
	for _, f := range v.fields {
		if f.Field == field {
			return true
		}
	}
	return false
}

// Err returns an *InvalidError, or nil when nothing was added.
func (v *Validator) Err() error {
	if len(v.fields) == 0 {
		return nil
	}
	return &InvalidError{Fields: append([]FieldError(nil), v.fields...)}
}

// Invalid builds an *InvalidError for a single field.
func Invalid(field, key string, args ...any) error {
	return &InvalidError{Fields: []FieldError{{Field: field, Key: key, Args: args}}}
}

// AsInvalid extracts the field errors from err, if it is an invalid-input error.
func AsInvalid(err error) (*InvalidError, bool) {
	var ie *InvalidError
	if errors.As(err, &ie) {
		return ie, true
	}
	return nil, false
}
