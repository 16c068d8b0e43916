package identity_test

import (
	"io/fs"
	"regexp"
	"testing"

	"github.com/arengo/arengo/internal/i18n"
	"github.com/arengo/arengo/internal/identity"
)

var keyRe = regexp.MustCompile(`\.T "([a-z0-9_.]+)"`)

// Every key the account pages use exists in both languages, and the two
// catalogs of the area hold the same keys.
func TestAccountCatalogIsComplete(t *testing.T) {
	cat, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	src := identity.Templates()
	files, _ := fs.Glob(src.FS, "*.html")
	if len(files) == 0 {
		t.Fatal("no templates")
	}
	for _, f := range files {
		b, _ := fs.ReadFile(src.FS, f)
		for _, m := range keyRe.FindAllStringSubmatch(string(b), -1) {
			for _, l := range []string{"it", "en"} {
				if !cat.Has(l, m[1]) {
					t.Errorf("%s: key %s missing in %s", f, m[1], l)
				}
			}
		}
	}
	for _, k := range cat.Keys("it") {
		if len(k) > 8 && k[:8] == "account." && !cat.Has("en", k) {
			t.Errorf("%s missing in en", k)
		}
	}
	for _, k := range cat.Keys("en") {
		if len(k) > 8 && k[:8] == "account." && !cat.Has("it", k) {
			t.Errorf("%s missing in it", k)
		}
	}
}
