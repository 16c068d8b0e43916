package spidlogin

import (
	"embed"
	"io/fs"

	"github.com/arengo/arengo/internal/web"
)

//go:embed templates/*.html
var templatesFS embed.FS

// Templates returns the SPID and strong-login pages (namespace "spidlogin").
func Templates() web.TemplateSource {
	sub, _ := fs.Sub(templatesFS, "templates")
	return web.TemplateSource{Namespace: "spidlogin", FS: sub}
}
