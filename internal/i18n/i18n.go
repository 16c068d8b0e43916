// Package i18n holds the message catalog: every user-facing string, in
// Italian (default) and English. Messages live in locales/<lang>/<area>.json,
// one flat object of key → text per area, so each part of the platform keeps
// its own file. Placeholders are written {name} and filled by name.
//
// Plurals: a key used with TN has ".one" and ".other" variants.
package i18n

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/arengo/arengo/internal/kernel"
)

//go:embed locales
var localesFS embed.FS

// Catalog maps locale → key → message.
type Catalog struct {
	msgs map[string]map[string]string
}

// Load reads the embedded catalog. It fails on malformed files and on a key
// defined twice in one locale.
func Load() (*Catalog, error) {
	return LoadFS(localesFS, "locales")
}

// LoadFS reads a catalog from root/<lang>/*.json in fsys.
func LoadFS(fsys fs.FS, root string) (*Catalog, error) {
	c := &Catalog{msgs: map[string]map[string]string{}}
	for _, loc := range kernel.Locales {
		m := map[string]string{}
		dir := path.Join(root, loc)
		entries, err := fs.ReadDir(fsys, dir)
		if err != nil {
			return nil, fmt.Errorf("i18n: %s: %w", loc, err)
		}
		for _, e := range entries {
			if e.IsDir() || !strings.HasSuffix(e.Name(), ".json") {
				continue
			}
			b, err := fs.ReadFile(fsys, path.Join(dir, e.Name()))
			if err != nil {
				return nil, err
			}
			var area map[string]string
			if err := json.Unmarshal(b, &area); err != nil {
				return nil, fmt.Errorf("i18n: %s/%s: %w", loc, e.Name(), err)
			}
			for k, v := range area {
				if _, dup := m[k]; dup {
					return nil, fmt.Errorf("i18n: %s: key %q defined twice (second in %s)", loc, k, e.Name())
				}
				m[k] = v
			}
		}
		c.msgs[loc] = m
	}
	return c, nil
}

// Has reports whether key exists in locale.
func (c *Catalog) Has(locale, key string) bool {
	_, ok := c.msgs[locale][key]
	return ok
}

// Keys lists the keys of locale, sorted.
func (c *Catalog) Keys(locale string) []string {
	out := make([]string, 0, len(c.msgs[locale]))
	for k := range c.msgs[locale] {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// T translates key into locale, filling {placeholders} from args given as
// name, value pairs. A missing key renders as the key itself in brackets, so
// it is visible in the page and caught by the catalog tests.
func (c *Catalog) T(locale, key string, args ...any) string {
	msg, ok := c.msgs[locale][key]
	if !ok {
		msg, ok = c.msgs[kernel.LocaleIT][key]
		if !ok {
			return "[" + key + "]"
		}
	}
	if len(args) == 0 || !strings.Contains(msg, "{") {
		return msg
	}
	pairs := make([]string, 0, len(args))
	for i := 0; i+1 < len(args); i += 2 {
		name := fmt.Sprint(args[i])
		pairs = append(pairs, "{"+name+"}", c.format(locale, args[i+1]))
	}
	return strings.NewReplacer(pairs...).Replace(msg)
}

// TN picks key.one or key.other by n and fills {n} too.
func (c *Catalog) TN(locale, key string, n int, args ...any) string {
	suffix := ".other"
	if n == 1 {
		suffix = ".one"
	}
	return c.T(locale, key+suffix, append([]any{"n", n}, args...)...)
}

// Key is a message argument that is itself a message key (e.g. the verb
// "firmare" in "puoi leggere e commentare ma non firmare"): T translates it
// into the same locale before filling it in.
type Key string

// localized is content that has a version per locale (kernel.Text).
type localized interface{ In(locale string) string }

// format renders an argument for locale: numbers with the locale's
// thousands separator, keys and translatable text in the locale, times as
// dates in Italy.
func (c *Catalog) format(locale string, v any) string {
	switch n := v.(type) {
	case int:
		return Number(locale, int64(n))
	case int64:
		return Number(locale, n)
	case Key:
		return c.T(locale, string(n))
	case localized:
		return n.In(locale)
	case time.Time:
		t := n.In(rome)
		return fmt.Sprintf("%d %s %d", t.Day(), MonthName(locale, int(t.Month())), t.Year())
	default:
		return fmt.Sprint(v)
	}
}

// rome is where dates in messages are read: Italian municipalities.
var rome = func() *time.Location {
	loc, err := time.LoadLocation("Europe/Rome")
	if err != nil {
		return time.FixedZone("CET", 3600)
	}
	return loc
}()

// Number formats an integer with the locale's grouping (1.000 / 1,000).
func Number(locale string, n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	sep := "."
	if locale == kernel.LocaleEN {
		sep = ","
	}
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteString(sep)
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// Match picks the best supported locale from an Accept-Language header.
func Match(acceptLanguage string) string {
	best, bestQ := kernel.LocaleIT, -1.0
	for _, part := range strings.Split(acceptLanguage, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		tag, q := part, 1.0
		if i := strings.IndexByte(part, ';'); i >= 0 {
			tag = strings.TrimSpace(part[:i])
			if qs, ok := strings.CutPrefix(strings.TrimSpace(part[i+1:]), "q="); ok {
				if f, err := strconv.ParseFloat(qs, 64); err == nil {
					q = f
				}
			}
		}
		lang := strings.ToLower(tag)
		if i := strings.IndexAny(lang, "-_"); i >= 0 {
			lang = lang[:i]
		}
		if kernel.ValidLocale(lang) && q > bestQ {
			best, bestQ = lang, q
		}
	}
	return best
}

// Months returns the month names used for dates in locale.
var monthNames = map[string][12]string{
	kernel.LocaleIT: {"gennaio", "febbraio", "marzo", "aprile", "maggio", "giugno", "luglio", "agosto", "settembre", "ottobre", "novembre", "dicembre"},
	kernel.LocaleEN: {"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"},
}

// MonthName returns the name of month m (1–12) in locale.
func MonthName(locale string, m int) string {
	names, ok := monthNames[locale]
	if !ok {
		names = monthNames[kernel.LocaleIT]
	}
	if m < 1 || m > 12 {
		return ""
	}
	return names[m-1]
}
