package web

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/arengo/arengo/internal/kernel"
)

func TestRequireUserAndAdmin(t *testing.T) {
	ok := func(http.ResponseWriter, *http.Request) error { return nil }
	run := func(h HandlerFunc, v *Viewer) error {
		r := httptest.NewRequest(http.MethodGet, "/x", nil)
		if v != nil {
			r = r.WithContext(WithViewer(r.Context(), v))
		}
		return h(httptest.NewRecorder(), r)
	}
	participant, admin := &Viewer{ID: 1}, &Viewer{ID: 2, IsAdmin: true}
	cases := []struct {
		name string
		h    HandlerFunc
		v    *Viewer
		want error
	}{
		{"user: anonymous", RequireUser(ok), nil, kernel.ErrUnauthenticated},
		{"user: participant", RequireUser(ok), participant, nil},
		{"admin: anonymous", RequireAdmin(ok), nil, kernel.ErrUnauthenticated},
		{"admin: participant", RequireAdmin(ok), participant, kernel.ErrForbidden},
		{"admin: admin", RequireAdmin(ok), admin, nil},
	}
	for _, c := range cases {
		if err := run(c.h, c.v); !errors.Is(err, c.want) || (c.want == nil && err != nil) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
}

// Browsers remove tabs and line breaks from a Location before parsing it,
// so a "next" carrying one in the second place would leave the site.
func TestSafeNextRefusesControlCharacters(t *testing.T) {
	cases := map[string]string{
		"/account":             "/account",
		"/processes?x=1#c":     "/processes?x=1#c",
		"/\t/evil.example":     "/",
		"/\t\\evil.example":    "/",
		"/\n/evil.example":     "/",
		"/\r\n/evil.example":   "/",
		"/\x00/evil.example":   "/",
		"/\x7f/evil.example":   "/",
		"//evil.example":       "/",
		"/\\evil.example":      "/",
		"https://evil.example": "/",
		"evil":                 "/",
	}
	for in, want := range cases {
		if got := SafeNext(in, "/"); got != want {
			t.Errorf("SafeNext(%q) = %q, want %q", in, got, want)
		}
		w := httptest.NewRecorder()
		if err := Redirect(w, httptest.NewRequest(http.MethodPost, "/login", nil), in); err != nil {
			t.Fatal(err)
		}
		if loc := w.Header().Get("Location"); loc != want {
			t.Errorf("Redirect(%q): Location %q, want %q", in, loc, want)
		}
	}
}
