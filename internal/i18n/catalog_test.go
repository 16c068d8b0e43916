package i18n

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/arengo/arengo/internal/kernel"
)

func load(t *testing.T) *Catalog {
	t.Helper()
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// Every key exists in every language, and no message is left empty.
func TestCatalogComplete(t *testing.T) {
	c := load(t)
	for _, a := range kernel.Locales {
		for _, k := range c.Keys(a) {
			if strings.TrimSpace(c.T(a, k)) == "" {
				t.Errorf("%s: %s is empty", a, k)
			}
			for _, b := range kernel.Locales {
				if !c.Has(b, k) {
					t.Errorf("key %q exists in %s but not in %s", k, a, b)
				}
			}
		}
	}
	// Placeholders match across languages, so no value is lost in translation.
	ph := regexp.MustCompile(`\{[a-z_]+\}`)
	for _, k := range c.Keys(kernel.LocaleIT) {
		it := ph.FindAllString(c.T(kernel.LocaleIT, k), -1)
		en := ph.FindAllString(c.T(kernel.LocaleEN, k), -1)
		if strings.Join(sorted(it), ",") != strings.Join(sorted(en), ",") {
			t.Errorf("%s: placeholders differ: it %v, en %v", k, it, en)
		}
	}
}

func sorted(s []string) []string {
	out := append([]string(nil), s...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

func repoRoot(t *testing.T) string {
	t.Helper()
	dir, _ := os.Getwd()
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found")
		}
		dir = parent
	}
}

// Keys used in templates ({{.T "key"}}, {{$.TN "key" n}}, Field labels and
// hints) exist in the catalog.
var templateKeyRe = regexp.MustCompile(`\.(?:T|TN)\s+"([^"]+)"|\.Field\s+"[^"]*"\s+"([^"]+)"|"hint"\s+"([^"]+)"|"label"\s+"([^"]+)"`)

func TestTemplatesUseKnownKeys(t *testing.T) {
	c := load(t)
	root := repoRoot(t)
	n := 0
	err := filepath.WalkDir(filepath.Join(root, "internal"), func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".html") {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range templateKeyRe.FindAllStringSubmatch(string(b), -1) {
			for _, key := range m[1:] {
				if key == "" {
					continue
				}
				n++
				if !c.Has(kernel.LocaleIT, key) && !c.Has(kernel.LocaleIT, key+".one") {
					rel, _ := filepath.Rel(root, path)
					t.Errorf("%s uses unknown key %q", rel, key)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 20 {
		t.Fatalf("found only %d template keys: is the pattern broken?", n)
	}
}

// String literals in Go code that look like message keys of a known area
// (first segment of an existing key) must exist: catches typos in
// validation errors and flash messages.
func TestGoCodeUsesKnownKeys(t *testing.T) {
	c := load(t)
	root := repoRoot(t)
	areas := map[string]bool{}
	for _, k := range c.Keys(kernel.LocaleIT) {
		areas[strings.SplitN(k, ".", 2)[0]] = true
	}
	keyRe := regexp.MustCompile(`^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$`)
	fset := token.NewFileSet()
	n := 0
	err := filepath.WalkDir(filepath.Join(root, "internal"), func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		ast.Inspect(f, func(node ast.Node) bool {
			call, ok := node.(*ast.CallExpr)
			if !ok {
				return true
			}
			for _, arg := range call.Args {
				lit, ok := arg.(*ast.BasicLit)
				if !ok || lit.Kind != token.STRING {
					continue
				}
				s, err := strconv.Unquote(lit.Value)
				if err != nil || !keyRe.MatchString(s) || !areas[strings.SplitN(s, ".", 2)[0]] {
					continue
				}
				if ext := filepath.Ext(s); fileExts[ext] {
					continue // a file name, not a message key
				}
				n++
				if !c.Has(kernel.LocaleIT, s) && !c.Has(kernel.LocaleIT, s+".one") && !hasPrefixKey(c, s+".") {
					rel, _ := filepath.Rel(root, path)
					t.Errorf("%s:%d uses unknown key %q", rel, fset.Position(lit.Pos()).Line, s)
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 10 {
		t.Fatalf("found only %d keys in Go code: is the scan broken?", n)
	}
}

var fileExts = map[string]bool{".html": true, ".txt": true, ".json": true, ".css": true, ".js": true, ".sql": true, ".xml": true, ".csv": true, ".db": true, ".zip": true, ".pem": true, ".key": true}

// hasPrefixKey allows literals that are key prefixes completed at run time
// (e.g. "process.status." + status).
func hasPrefixKey(c *Catalog, prefix string) bool {
	for _, k := range c.Keys(kernel.LocaleIT) {
		if strings.HasPrefix(k, prefix) {
			return true
		}
	}
	return false
}

func TestTAndPlural(t *testing.T) {
	c := load(t)
	if got := c.T("en", "error.code", "status", 404); got != "Error code: 404" {
		t.Fatalf("T: %q", got)
	}
	if got := c.TN("it", "form.error_summary", 1); got != "C'è 1 errore da correggere" {
		t.Fatalf("TN one: %q", got)
	}
	if got := c.TN("it", "form.error_summary", 1200); got != "Ci sono 1.200 errori da correggere" {
		t.Fatalf("TN other: %q", got)
	}
	if got := c.T("it", "no.such.key"); got != "[no.such.key]" {
		t.Fatalf("missing key: %q", got)
	}
}

func TestMatch(t *testing.T) {
	cases := map[string]string{
		"":                              "it",
		"en-US,en;q=0.9":                "en",
		"fr-FR,en;q=0.5,it;q=0.8":       "it",
		"de":                            "it",
		"EN":                            "en",
		"it-IT;q=0.1, en;q=0.2":         "en",
		"garbage;;;q=zz,,":              "it",
		strings.Repeat("en-GB,", 10000): "en",
	}
	for in, want := range cases {
		if got := Match(in); got != want {
			t.Errorf("Match(%.30q) = %q, want %q", in, got, want)
		}
	}
}

// Arguments that are keys, translatable text or times are rendered in the
// message's locale.
func TestLocalizedArguments(t *testing.T) {
	c, err := LoadFS(fstest.MapFS{
		"l/it/a.json": {Data: []byte(`{"a.msg": "{what} dal {when} ({text})", "a.verb": "firmare"}`)},
		"l/en/a.json": {Data: []byte(`{"a.msg": "{what} from {when} ({text})", "a.verb": "sign"}`)},
	}, "l")
	if err != nil {
		t.Fatal(err)
	}
	when := time.Date(2026, 3, 1, 23, 30, 0, 0, time.UTC) // already 2 March in Rome
	args := []any{"what", Key("a.verb"), "when", when, "text", kernel.Text{"it": "ciao", "en": "hello"}}
	if got := c.T("it", "a.msg", args...); got != "firmare dal 2 marzo 2026 (ciao)" {
		t.Errorf("it: %q", got)
	}
	if got := c.T("en", "a.msg", args...); got != "sign from 2 March 2026 (hello)" {
		t.Errorf("en: %q", got)
	}
}
