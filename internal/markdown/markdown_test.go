package markdown

import (
	"strings"
	"testing"
)

func TestHTMLSanitisesAndDemotes(t *testing.T) {
	r := New()
	cases := []struct{ in, want, not string }{
		{"# Title", "<h2", "<h1"},
		{"## Sub", "<h3", "<h2"},
		{"<script>alert(1)</script>\n\nhi", "hi", "<script"},
		{"[x](javascript:alert(1))", "x", "javascript:"},
		{"<img src=x onerror=alert(1)>", "", "onerror"},
		{"| a | b |\n|---|---|\n| 1 | 2 |", "<table>", "<script"},
		{"**bold**", "<strong>bold</strong>", "**"},
	}
	for _, c := range cases {
		got := string(r.HTML(c.in))
		if c.want != "" && !strings.Contains(got, c.want) {
			t.Errorf("%q: want %q in %q", c.in, c.want, got)
		}
		if strings.Contains(got, c.not) {
			t.Errorf("%q: did not want %q in %q", c.in, c.not, got)
		}
	}
}
