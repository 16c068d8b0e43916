package cityuser

import (
	"embed"
	"io/fs"
	"net/http"
	"strconv"

	"github.com/arengo/arengo/internal/kernel"
	"github.com/arengo/arengo/internal/web"
)

//go:embed templates/*.html
var templatesFS embed.FS

// Templates returns the pages (namespace "cityuser").
func Templates() web.TemplateSource {
	sub, _ := fs.Sub(templatesFS, "templates")
	return web.TemplateSource{Namespace: "cityuser", FS: sub}
}

// Web serves the request page to participants and the queue to platform
// administrators.
type Web struct {
	S   *web.Server
	Svc *Service
}

// Routes registers every route of the package.
func (h *Web) Routes() {
	h.S.Handle("GET /account/city-user", web.RequireUser(h.show))
	h.S.Handle("POST /account/city-user", web.RequireUser(h.submit))
	h.S.Handle("GET /admin/city-users", web.RequireAdmin(h.queue))
	h.S.Handle("GET /admin/city-users/{id}", web.RequireAdmin(h.review))
	h.S.Handle("POST /admin/city-users/{id}", web.RequireAdmin(h.decide))
}

type requestData struct {
	History      []Request
	Pending      bool
	Current      *Request // approval in force
	Latest       *Request
	ValidityDays int
	Reasons      []web.Option
	Territories  []web.Option
}

func (h *Web) requestPage(w http.ResponseWriter, r *http.Request, f *web.Form) error {
	v := web.ViewerFrom(r.Context())
	hist, err := h.Svc.History(r.Context(), v.ID)
	if err != nil {
		return err
	}
	now := h.S.Now()
	d := requestData{History: hist, ValidityDays: int(h.Svc.Validity().Hours() / 24)}
	for i := range hist {
		if hist[i].Status == StatusPending {
			d.Pending = true
		}
		if d.Current == nil && hist[i].Active(now) {
			d.Current = &hist[i]
		}
	}
	if len(hist) > 0 {
		d.Latest = &hist[0]
	}
	locale := web.LocaleFrom(r.Context())
	cat := h.S.Catalog()
	d.Reasons = []web.Option{{Value: "", Label: cat.T(locale, "cityuser.form.reason_choose")}}
	for _, re := range Reasons {
		d.Reasons = append(d.Reasons, web.Option{Value: string(re), Label: cat.T(locale, "cityuser.reason."+string(re))})
	}
	terrs, err := h.Svc.Territories(r.Context())
	if err != nil {
		return err
	}
	d.Territories = []web.Option{{Value: "", Label: cat.T(locale, "cityuser.form.territory_comune")}}
	for _, t := range terrs {
		if t.Kind == "comune" {
			continue // the empty choice is the whole Comune
		}
		d.Territories = append(d.Territories, web.Option{Value: strconv.FormatInt(t.ID, 10), Label: t.Name.In(locale)})
	}
	if f == nil {
		f = web.NewForm(nil)
	}
	return h.S.RenderForm(w, r, "cityuser/request.html", d, f)
}

func (h *Web) show(w http.ResponseWriter, r *http.Request) error { return h.requestPage(w, r, nil) }

func (h *Web) submit(w http.ResponseWriter, r *http.Request) error {
	v := web.ViewerFrom(r.Context())
	f, err := web.ParseForm(r)
	if err != nil {
		return err
	}
	in := Input{Reason: Reason(f.Get("reason")), Details: f.Get("details")}
	if t := f.Get("territory"); t != "" {
		if in.TerritoryID, err = strconv.ParseInt(t, 10, 64); err != nil || in.TerritoryID <= 0 {
			in.TerritoryID = -1 // reported as an unknown territory
		}
	}
	if _, err := h.Svc.Submit(r.Context(), v.ID, in); err != nil {
		if h.S.Fail(r, f, err) {
			return h.requestPage(w, r, f)
		}
		return err
	}
	h.S.SetFlash(w, "cityuser.flash.submitted")
	return web.Redirect(w, r, "/account/city-user")
}

func (h *Web) queue(w http.ResponseWriter, r *http.Request) error {
	list, err := h.Svc.Pending(r.Context())
	if err != nil {
		return err
	}
	return h.S.Render(w, r, "cityuser/queue.html", list)
}

type reviewData struct {
	Request      Request
	ValidityDays int
	History      []Request // the person's other requests
	Self         bool
}

func (h *Web) reviewPage(w http.ResponseWriter, r *http.Request, f *web.Form) error {
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	req, err := h.Svc.Get(r.Context(), id)
	if err != nil {
		return err
	}
	hist, err := h.Svc.History(r.Context(), req.UserID)
	if err != nil {
		return err
	}
	d := reviewData{Request: req, ValidityDays: int(h.Svc.Validity().Hours() / 24), Self: req.UserID == web.ViewerFrom(r.Context()).ID}
	for _, o := range hist {
		if o.ID != req.ID {
			d.History = append(d.History, o)
		}
	}
	if f == nil {
		f = web.NewForm(nil)
	}
	return h.S.RenderForm(w, r, "cityuser/review.html", d, f)
}

func (h *Web) review(w http.ResponseWriter, r *http.Request) error { return h.reviewPage(w, r, nil) }

func (h *Web) decide(w http.ResponseWriter, r *http.Request) error {
	v := web.ViewerFrom(r.Context())
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	f, err := web.ParseForm(r)
	if err != nil {
		return err
	}
	var approve bool
	switch f.Get("decision") {
	case "approve":
		approve = true
	case "reject":
	default:
		h.S.Fail(r, f, kernel.Invalid("", "cityuser.error.decision"))
		return h.reviewPage(w, r, f)
	}
	if _, err := h.Svc.Decide(r.Context(), v.ID, id, approve, f.Get("decision_reason")); err != nil {
		if h.S.Fail(r, f, err) {
			return h.reviewPage(w, r, f)
		}
		return err
	}
	if approve {
		h.S.SetFlash(w, "cityuser.flash.approved")
	} else {
		h.S.SetFlash(w, "cityuser.flash.rejected")
	}
	return web.Redirect(w, r, "/admin/city-users")
}
