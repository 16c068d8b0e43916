package web

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/arengo/arengo/internal/kernel"
)

// Behind a proxy, only the address the proxy appended counts: a client
// that sends its own X-Forwarded-For must not choose its rate-limit bucket.
func TestClientIPTrustsOnlyTheProxysEntry(t *testing.T) {
	cases := []struct {
		name   string
		trust  bool
		header []string
		want   string
	}{
		{"no proxy: header ignored", false, []string{"203.0.113.9"}, "192.0.2.1"},
		{"proxy: single entry", true, []string{"198.51.100.7"}, "198.51.100.7"},
		{"proxy: spoofed first entry", true, []string{"1.2.3.4, 198.51.100.7"}, "198.51.100.7"},
		{"proxy: spoofed header line", true, []string{"1.2.3.4", "198.51.100.7"}, "198.51.100.7"},
		{"proxy: spaces", true, []string{" 1.2.3.4 ,  2001:db8::1 "}, "2001:db8::1"},
		{"proxy: garbage", true, []string{"1.2.3.4, not-an-ip"}, "192.0.2.1"},
		{"proxy: no header", true, nil, "192.0.2.1"},
	}
	for _, c := range cases {
		s := &Server{cfg: Config{TrustProxy: c.trust}}
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.RemoteAddr = "192.0.2.1:4321"
		for _, h := range c.header {
			r.Header.Add("X-Forwarded-For", h)
		}
		if got := s.ClientIP(r); got != c.want {
			t.Errorf("%s: ClientIP = %q, want %q", c.name, got, c.want)
		}
	}
}

func TestPathIDAndViewerID(t *testing.T) {
	for value, ok := range map[string]bool{"42": true, "0": false, "-3": false, "abc": false, "": false, "99999999999999999999": false} {
		r := httptest.NewRequest(http.MethodGet, "/x", nil)
		r.SetPathValue("id", value)
		id, err := PathID(r, "id")
		if ok && (err != nil || id != 42) {
			t.Errorf("%q: %d %v", value, id, err)
		}
		if !ok && !errors.Is(err, kernel.ErrNotFound) {
			t.Errorf("%q: want not found, got %d %v", value, id, err)
		}
	}
	r := httptest.NewRequest(http.MethodGet, "/x", nil)
	if _, err := ViewerID(r); !errors.Is(err, kernel.ErrUnauthenticated) {
		t.Errorf("anonymous: %v", err)
	}
	r = r.WithContext(WithViewer(r.Context(), &Viewer{ID: 7}))
	if id, err := ViewerID(r); id != 7 || err != nil {
		t.Errorf("viewer: %d %v", id, err)
	}
}
