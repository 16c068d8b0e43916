package mail

import (
	"embed"
	"html/template"
	"io/fs"
	"net/http"
	"regexp"
	"strings"

	"github.com/arengo/arengo/internal/db"
	"github.com/arengo/arengo/internal/web"
)

//go:embed templates/*.html
var templatesFS embed.FS

// Templates returns the mail viewer's pages.
func Templates() web.TemplateSource {
	sub, _ := fs.Sub(templatesFS, "templates")
	return web.TemplateSource{Namespace: "mail", FS: sub}
}

// Viewer is the development mail viewer at /dev/mail, mounted only in demo
// mode: it shows what would have been sent, so the demo and the browser
// tests can follow confirmation and reset links without an SMTP server.
type Viewer struct {
	S  *web.Server
	DB *db.DB
}

// Routes registers the viewer.
func (v *Viewer) Routes() {
	v.S.Handle("GET /dev/mail", v.list)
	v.S.Handle("GET /dev/mail/{id}", v.show)
}

type messageView struct {
	Stored
	BodyHTML template.HTML
}

func (v *Viewer) list(w http.ResponseWriter, r *http.Request) error {
	msgs, err := Recent(r.Context(), v.DB, 100)
	if err != nil {
		return err
	}
	return v.S.Render(w, r, "mail/list.html", msgs)
}

func (v *Viewer) show(w http.ResponseWriter, r *http.Request) error {
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	m, err := Get(r.Context(), v.DB, id)
	if err != nil {
		return err
	}
	return v.S.Render(w, r, "mail/show.html", messageView{Stored: m, BodyHTML: linkify(m.Body)})
}

var urlRe = regexp.MustCompile(`https?://[^\s<>"]+`)

// linkify escapes body and turns URLs into links.
func linkify(body string) template.HTML {
	var b strings.Builder
	last := 0
	for _, loc := range urlRe.FindAllStringIndex(body, -1) {
		b.WriteString(template.HTMLEscapeString(body[last:loc[0]]))
		u := template.HTMLEscapeString(body[loc[0]:loc[1]])
		b.WriteString(`<a href="` + u + `">` + u + `</a>`)
		last = loc[1]
	}
	b.WriteString(template.HTMLEscapeString(body[last:]))
	return template.HTML(b.String())
}
