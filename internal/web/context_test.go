package web

import (
	"net/http"
	"net/http/httptest"
	"testing"
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
