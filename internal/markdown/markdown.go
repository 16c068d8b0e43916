// Package markdown renders staff-written Markdown (process descriptions,
// Pacts, pages) to sanitised HTML.
package markdown

import (
	"bytes"
	"html/template"

	"github.com/microcosm-cc/bluemonday"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/renderer/html"
)

// Renderer converts Markdown to safe HTML. It is safe for concurrent use.
type Renderer struct {
	md     goldmark.Markdown
	policy *bluemonday.Policy
}

// New returns a renderer with GitHub-flavoured tables and lists, and a
// sanitiser that keeps formatting but drops scripts, styles and event handlers.
func New() *Renderer {
	p := bluemonday.UGCPolicy()
	p.RequireNoFollowOnLinks(true)
	p.AddTargetBlankToFullyQualifiedLinks(false)
	return &Renderer{
		md:     goldmark.New(goldmark.WithExtensions(extension.GFM), goldmark.WithRendererOptions(html.WithHardWraps())),
		policy: p,
	}
}

// HTML renders src. Headings are demoted by one level (h1 → h2) so that a
// page keeps exactly one h1, its title.
func (r *Renderer) HTML(src string) template.HTML {
	var buf bytes.Buffer
	if err := r.md.Convert([]byte(src), &buf); err != nil {
		return template.HTML(template.HTMLEscapeString(src))
	}
	out := r.policy.SanitizeBytes(demoteHeadings(buf.Bytes()))
	return template.HTML(out) // sanitised above
}

func demoteHeadings(b []byte) []byte {
	for _, lvl := range []string{"5", "4", "3", "2", "1"} {
		next := string(rune(lvl[0] + 1))
		b = bytes.ReplaceAll(b, []byte("<h"+lvl+">"), []byte("<h"+next+">"))
		b = bytes.ReplaceAll(b, []byte("<h"+lvl+" "), []byte("<h"+next+" "))
		b = bytes.ReplaceAll(b, []byte("</h"+lvl+">"), []byte("</h"+next+">"))
	}
	return b
}
