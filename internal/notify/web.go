package notify

import (
	"embed"
	"io/fs"
	"net/http"

	"github.com/arengo/arengo/internal/web"
)

//go:embed templates/*.html
var templatesFS embed.FS

// Templates returns the notification pages.
func Templates() web.TemplateSource {
	sub, _ := fs.Sub(templatesFS, "templates")
	return web.TemplateSource{Namespace: "notify", FS: sub}
}

// Web serves /account/notifications.
type Web struct {
	S   *web.Server
	Svc *Service
}

// Routes registers the pages.
func (h *Web) Routes() {
	h.S.Handle("GET /account/notifications", web.RequireUser(h.list))
	h.S.Handle("POST /account/notifications/read", web.RequireUser(h.markRead))
}

type item struct {
	Notification
	Message string
}

type listPage struct {
	Items  []item
	Unread int
}

func (h *Web) list(w http.ResponseWriter, r *http.Request) error {
	v := web.ViewerFrom(r.Context())
	ns, err := h.Svc.List(r.Context(), v.ID, 100)
	if err != nil {
		return err
	}
	page := listPage{}
	locale := web.LocaleFrom(r.Context())
	for _, n := range ns {
		if !n.Read {
			page.Unread++
		}
		page.Items = append(page.Items, item{Notification: n, Message: n.Text(h.S.Catalog(), locale)})
	}
	return h.S.Render(w, r, "notify/list.html", page)
}

func (h *Web) markRead(w http.ResponseWriter, r *http.Request) error {
	if err := h.Svc.MarkAllRead(r.Context(), web.ViewerFrom(r.Context()).ID); err != nil {
		return err
	}
	h.S.SetFlash(w, "notify.marked_read")
	return web.Redirect(w, r, "/account/notifications")
}
