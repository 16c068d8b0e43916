package moderation

import (
	"embed"
	"io/fs"
	"net/http"
	"net/url"
	"strconv"

	"github.com/arengo/arengo/internal/kernel"
	"github.com/arengo/arengo/internal/web"
)

//go:embed templates/*.html
var templatesFS embed.FS

// Templates returns the moderation pages (namespace "moderation").
func Templates() web.TemplateSource {
	sub, _ := fs.Sub(templatesFS, "templates")
	return web.TemplateSource{Namespace: "moderation", FS: sub}
}

// Web serves reporting and the moderators' queue.
type Web struct {
	S   *web.Server
	Svc *Service
}

// Routes registers every moderation route.
func (h *Web) Routes() {
	h.S.Handle("GET /moderation/report", h.reportForm)
	h.S.Handle("POST /moderation/report", h.report)
	h.S.Handle("GET /moderation", h.queue)
	h.S.Handle("GET /moderation/spaces/{space_type}/{space_id}", h.queue)
	h.S.Handle("GET /moderation/items/{id}", h.item)
	h.S.Handle("POST /moderation/items/{id}/hide", h.hide)
	h.S.Handle("POST /moderation/items/{id}/restore", h.restore)
	h.S.Handle("POST /moderation/items/{id}/dismiss", h.dismiss)
	h.S.Handle("POST /moderation/items/{id}/block", h.block)
	h.S.Handle("POST /moderation/items/{id}/unblock", h.unblock)
}

// ReportURL is the link to the report form for ref (components put it beside
// each reportable thing).
func ReportURL(ref Ref) string {
	return "/moderation/report?" + url.Values{"type": {ref.Type}, "id": {strconv.FormatInt(ref.ID, 10)}}.Encode()
}

// reportPage is what report.html shows.
type reportPage struct {
	Ref     Ref
	Content Content
	Reasons []string
	Max     int
}

func (h *Web) reportTarget(r *http.Request, typ, idText string) (reportPage, error) {
	uid, err := web.ViewerID(r)
	if err != nil {
		return reportPage{}, err
	}
	id, err := strconv.ParseInt(idText, 10, 64)
	if err != nil || id <= 0 {
		return reportPage{}, kernel.ErrNotFound
	}
	ref := Ref{Type: typ, ID: id}
	rp, ok := h.Svc.reportable(typ)
	if !ok {
		return reportPage{}, kernel.ErrNotFound
	}
	if ok, err := rp.CanView(r.Context(), uid, ref); err != nil {
		return reportPage{}, err
	} else if !ok {
		return reportPage{}, kernel.ErrNotFound
	}
	c, err := h.Svc.Describe(r.Context(), ref)
	if err != nil {
		return reportPage{}, err
	}
	return reportPage{Ref: ref, Content: c, Reasons: Reasons(), Max: h.Svc.opt.MaxDetails}, nil
}

func (h *Web) reportForm(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	p, err := h.reportTarget(r, q.Get("type"), q.Get("id"))
	if err != nil {
		return err
	}
	return h.S.RenderForm(w, r, "moderation/report.html", p, nil)
}

func (h *Web) report(w http.ResponseWriter, r *http.Request) error {
	f, err := web.ParseForm(r)
	if err != nil {
		return err
	}
	p, err := h.reportTarget(r, f.Get("type"), f.Get("id"))
	if err != nil {
		return err
	}
	uid, _ := web.ViewerID(r)
	hidden, err := h.Svc.Report(r.Context(), uid, ReportInput{Ref: p.Ref, Reason: f.Get("reason"), Details: f.Raw("details")})
	if err != nil {
		if h.S.Fail(r, f, err) {
			return h.S.RenderForm(w, r, "moderation/report.html", p, f)
		}
		return err
	}
	if hidden {
		h.S.SetFlash(w, "moderation.flash.reported_hidden")
	} else {
		h.S.SetFlash(w, "moderation.flash.reported")
	}
	return web.Redirect(w, r, p.Content.URL)
}

// queuePage is what queue.html shows.
type queuePage struct {
	Items     []Item
	State     string
	States    []string
	SpaceType string
	SpaceID   int64
	Base      string // the queue's path, for tabs and "next"
	Reasons   []string
}

func (h *Web) queue(w http.ResponseWriter, r *http.Request) error {
	uid, err := web.ViewerID(r)
	if err != nil {
		return err
	}
	f := QueueFilter{State: r.URL.Query().Get("state")}
	f.State = f.validState()
	base := "/moderation"
	if st := r.PathValue("space_type"); st != "" {
		id, err := web.PathID(r, "space_id")
		if err != nil {
			return err
		}
		f.SpaceType, f.SpaceID = st, id
		base = "/moderation/spaces/" + url.PathEscape(st) + "/" + strconv.FormatInt(id, 10)
	}
	items, err := h.Svc.Queue(r.Context(), uid, f)
	if err != nil {
		return err
	}
	return h.S.Render(w, r, "moderation/queue.html", queuePage{Items: items, State: f.State, States: []string{StateOpen, StateHidden, StateResolved},
		SpaceType: f.SpaceType, SpaceID: f.SpaceID, Base: base, Reasons: Reasons()})
}

// itemPage is what item.html shows.
type itemPage struct {
	Item    Item
	Reasons []string
	Max     int
	Next    string
}

func (h *Web) loadItem(r *http.Request) (Item, error) {
	uid, err := web.ViewerID(r)
	if err != nil {
		return Item{}, err
	}
	id, err := web.PathID(r, "id")
	if err != nil {
		return Item{}, err
	}
	return h.Svc.Item(r.Context(), uid, id)
}

func (h *Web) item(w http.ResponseWriter, r *http.Request) error {
	it, err := h.loadItem(r)
	if err != nil {
		return err
	}
	return h.S.RenderForm(w, r, "moderation/item.html", itemPage{Item: it, Reasons: Reasons(), Max: h.Svc.opt.MaxDetails, Next: web.SafeNext(r.URL.Query().Get("next"), "")}, nil)
}

// decide runs one moderator action from a form; invalid input re-renders
// the item page with the message.
func (h *Web) decide(w http.ResponseWriter, r *http.Request, flash string, do func(uid, itemID int64, f *web.Form) error) error {
	f, err := web.ParseForm(r)
	if err != nil {
		return err
	}
	uid, err := web.ViewerID(r)
	if err != nil {
		return err
	}
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	if err := do(uid, id, f); err != nil {
		if h.S.Fail(r, f, err) {
			it, lerr := h.Svc.Item(r.Context(), uid, id)
			if lerr != nil {
				return lerr
			}
			return h.S.RenderForm(w, r, "moderation/item.html", itemPage{Item: it, Reasons: Reasons(), Max: h.Svc.opt.MaxDetails, Next: web.SafeNext(f.Get("next"), "")}, f)
		}
		return err
	}
	h.S.SetFlash(w, flash)
	return web.Redirect(w, r, web.SafeNext(f.Get("next"), "/moderation"))
}

func (h *Web) hide(w http.ResponseWriter, r *http.Request) error {
	return h.decide(w, r, "moderation.flash.hidden", func(uid, id int64, f *web.Form) error {
		return h.Svc.Hide(r.Context(), uid, id, f.Get("hidden_reason"))
	})
}

func (h *Web) restore(w http.ResponseWriter, r *http.Request) error {
	return h.decide(w, r, "moderation.flash.restored", func(uid, id int64, f *web.Form) error {
		return h.Svc.Restore(r.Context(), uid, id)
	})
}

func (h *Web) dismiss(w http.ResponseWriter, r *http.Request) error {
	return h.decide(w, r, "moderation.flash.dismissed", func(uid, id int64, f *web.Form) error {
		return h.Svc.Dismiss(r.Context(), uid, id)
	})
}

func (h *Web) block(w http.ResponseWriter, r *http.Request) error {
	return h.decide(w, r, "moderation.flash.blocked", func(uid, id int64, f *web.Form) error {
		return h.Svc.Block(r.Context(), uid, id, f.Raw("block_reason"))
	})
}

func (h *Web) unblock(w http.ResponseWriter, r *http.Request) error {
	return h.decide(w, r, "moderation.flash.unblocked", func(uid, id int64, f *web.Form) error {
		return h.Svc.Unblock(r.Context(), uid, id)
	})
}
