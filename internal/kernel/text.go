package kernel

import (
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// Locales the platform speaks. Italian is the default and the fallback.
const (
	LocaleIT = "it"
	LocaleEN = "en"
)

// Locales lists the supported locales, default first.
var Locales = []string{LocaleIT, LocaleEN}

// ValidLocale reports whether l is a supported locale.
func ValidLocale(l string) bool { return l == LocaleIT || l == LocaleEN }

// Text is content written by staff in several languages (title, description).
// Italian is required; other languages fall back to Italian when empty.
// It is stored as a JSON object {"it": "...", "en": "..."}.
type Text map[string]string

// In returns the text in locale, falling back to Italian.
func (t Text) In(locale string) string {
	if s := strings.TrimSpace(t[locale]); s != "" {
		return t[locale]
	}
	return t[LocaleIT]
}

// IsZero reports whether no language has content.
func (t Text) IsZero() bool {
	for _, v := range t {
		if strings.TrimSpace(v) != "" {
			return false
		}
	}
	return true
}

// Value implements driver.Valuer.
func (t Text) Value() (driver.Value, error) {
	if t == nil {
		return "{}", nil
	}
	b, err := json.Marshal(map[string]string(t))
	if err != nil {
		return nil, err
	}
	return string(b), nil
}

// Scan implements sql.Scanner.
func (t *Text) Scan(src any) error {
	var b []byte
	switch v := src.(type) {
	case string:
		b = []byte(v)
	case []byte:
		b = v
	case nil:
		*t = Text{}
		return nil
	default:
		return fmt.Errorf("kernel.Text: cannot scan %T", src)
	}
	m := map[string]string{}
	if len(b) > 0 {
		if err := json.Unmarshal(b, &m); err != nil {
			return errors.Join(errors.New("kernel.Text: bad JSON"), err)
		}
	}
	*t = m
	return nil
}
