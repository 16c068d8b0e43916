package consultation

import (
	"errors"
	"html/template"
	"net/http"
	"strconv"

	"github.com/arengo/arengo/internal/authz"
	"github.com/arengo/arengo/internal/component"
	"github.com/arengo/arengo/internal/kernel"
	"github.com/arengo/arengo/internal/moderation"
	"github.com/arengo/arengo/internal/web"
)

// showPage is one observation with everything around it.
type showPage struct {
	base
	O            *Observation
	Versions     []Version
	Change       ChangeState
	Supported    bool
	CanSupport   bool
	SupportNote  string // why the viewer cannot support, when signed in
	Mine         bool
	ReportURL    string
	Comments     template.HTML
	DocAnchorURL string
}

func (h *handlers) show(w http.ResponseWriter, r *http.Request, v component.View) error {
	id, err := web.PathID(r, "observation")
	if err != nil {
		return err
	}
	b, err := h.base(r, v)
	if err != nil {
		return err
	}
	ctx := r.Context()
	o, err := h.m.Observation(ctx, v.Component.ID, id, b.CanEvaluate)
	if err != nil {
		return err
	}
	uid := viewerID(r)
	page := showPage{base: b, O: o, Mine: uid != 0 && uid == o.AuthorID,
		ReportURL:    moderation.ReportURL(moderation.Ref{Type: TypeObservation, ID: o.ID}),
		DocAnchorURL: b.URL + "#p-" + itoa(o.ParagraphID)}
	if !o.Withdrawn() && !o.Hidden() {
		if page.Versions, err = h.m.Versions(ctx, o.ID); err != nil {
			return err
		}
	}
	if page.Change, err = h.m.CanChange(ctx, uid, v.Component, o); err != nil {
		return err
	}
	if uid != 0 && !o.Withdrawn() && !o.Hidden() {
		if page.Supported, err = h.m.HasSupported(ctx, o.ID, uid); err != nil {
			return err
		}
		d, err := h.m.authz.Authorize(ctx, authz.Request{UserID: uid, ComponentID: v.Component.ID, Action: component.ActionSupport})
		if err != nil {
			return err
		}
		switch {
		case page.Mine:
			page.SupportNote = h.t(r)("consultation.error.support_own")
		case !d.Allowed:
			page.SupportNote = d.Text(h.s.Catalog(), web.LocaleFrom(r.Context()))
		default:
			page.CanSupport = true
		}
	}
	if h.m.commentsWeb != nil && !o.Withdrawn() {
		r := r.WithContext(withShown(ctx, o, placeOf(v)))
		if page.Comments, err = h.m.commentsWeb.Section(r, moderation.Ref{Type: TypeObservation, ID: o.ID}); err != nil {
			return err
		}
	}
	return h.s.Render(w, r, "consultation/show.html", page)
}

func (h *handlers) supportAction(w http.ResponseWriter, r *http.Request, v component.View, on bool) error {
	if _, err := web.ParseForm(r); err != nil {
		return err
	}
	uid, err := requireViewer(r)
	if err != nil {
		return err
	}
	id, err := web.PathID(r, "observation")
	if err != nil {
		return err
	}
	b, err := h.base(r, v)
	if err != nil {
		return err
	}
	back := b.URL + "/observations/" + itoa(id)
	flash := "consultation.flash.supported"
	if on {
		err = h.m.Support(r.Context(), uid, v.Component, id)
	} else {
		flash = "consultation.flash.unsupported"
		err = h.m.Unsupport(r.Context(), uid, v.Component, id)
	}
	if errors.Is(err, kernel.ErrRateLimited) {
		w.Header().Set("Retry-After", strconv.Itoa(int(h.m.opt.SupportLimit.Window.Seconds())))
		return h.s.RenderStatus(w, r, http.StatusTooManyRequests, "consultation/refused.html",
			refusedPage{base: b, Messages: []string{h.t(r)("consultation.error.support_rate_limited")}, BackURL: back})
	}
	if err != nil {
		return h.refused(w, r, b, err, back)
	}
	h.s.SetFlash(w, flash)
	return web.Redirect(w, r, back+"#supports")
}

func (h *handlers) support(w http.ResponseWriter, r *http.Request, v component.View) error {
	return h.supportAction(w, r, v, true)
}

func (h *handlers) unsupport(w http.ResponseWriter, r *http.Request, v component.View) error {
	return h.supportAction(w, r, v, false)
}
