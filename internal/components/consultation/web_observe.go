package consultation

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"

	"github.com/arengo/arengo/internal/authz"
	"github.com/arengo/arengo/internal/component"
	"github.com/arengo/arengo/internal/web"
)

// observePage is the form to file or edit an observation.
type observePage struct {
	base
	Paragraph   *Paragraph
	Original    string // the paragraph text a proposed wording is compared with
	Action      string
	Editing     *Observation
	Refusal     string // why the viewer cannot file now (the form is not shown)
	Max         int
	MaxFileMB   int64 // the attachment's size limit, for the hint
	KindOptions []web.Option
}

func (h *handlers) observePage(r *http.Request, b base, p *Paragraph) observePage {
	t := h.t(r)
	return observePage{base: b, Paragraph: p, Original: p.Body, Max: b.Cons.MaxLength, MaxFileMB: (h.m.opt.MaxAttachment + (1<<20 - 1)) >> 20,
		Action:      b.URL + "/paragraphs/" + strconv.FormatInt(p.ID, 10) + "/observe",
		KindOptions: h.options(r, Kinds(), func(k string) string { return t("consultation.kind." + k) })}
}

func (h *handlers) paragraphFor(r *http.Request, v component.View) (*Paragraph, error) {
	id, err := web.PathID(r, "paragraph")
	if err != nil {
		return nil, err
	}
	p, err := h.m.Paragraph(r.Context(), v.Component.ID, id)
	if err != nil {
		return nil, err
	}
	if p.Retired {
		return nil, errRetired(id)
	}
	return p, nil
}

func (h *handlers) observeForm(w http.ResponseWriter, r *http.Request, v component.View) error {
	uid, err := requireViewer(r)
	if err != nil {
		return err
	}
	b, err := h.base(r, v)
	if err != nil {
		return err
	}
	p, err := h.paragraphFor(r, v)
	if err != nil {
		return err
	}
	page := h.observePage(r, b, p)
	d, err := h.m.authz.Authorize(r.Context(), authz.Request{UserID: uid, ComponentID: v.Component.ID, Action: component.ActionObserve})
	if err != nil {
		return err
	}
	if !d.Allowed {
		page.Refusal = d.Text(h.s.Catalog(), web.LocaleFrom(r.Context()))
		return h.s.RenderStatus(w, r, http.StatusForbidden, "consultation/observe.html", page)
	}
	f := web.NewForm(map[string]string{"kind": KindModify, "proposed": p.Body})
	return h.s.RenderForm(w, r, "consultation/observe.html", page, f)
}

// uploadMemory is how much of an upload is held in memory while parsing;
// the rest of the file goes to a temporary file.
const uploadMemory = 256 << 10

// uploadOverhead is the body allowance beyond the attachment limit: the
// texts and the multipart framing. A file slightly over the limit thus
// gets a field error; a much bigger body the 413 page.
const uploadOverhead = 1 << 20

// readUpload parses the observation form and reads its file, if one was
// chosen, up to one byte past the limit (enough to say it is too large).
func (h *handlers) readUpload(r *http.Request) (*web.Form, *Upload, error) {
	f, err := web.ParseMultipartForm(r, uploadMemory)
	if err != nil {
		return nil, nil, err
	}
	file, hdr, err := r.FormFile("attachment")
	if errors.Is(err, http.ErrMissingFile) || errors.Is(err, http.ErrNotMultipart) {
		return f, nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("consultation: read upload: %w", err)
	}
	defer file.Close()
	data, err := io.ReadAll(io.LimitReader(file, h.m.opt.MaxAttachment+1))
	if err != nil {
		return nil, nil, fmt.Errorf("consultation: read upload: %w", err)
	}
	return f, &Upload{Name: hdr.Filename, Data: data}, nil
}

func (h *handlers) observe(w http.ResponseWriter, r *http.Request, v component.View) error {
	f, up, err := h.readUpload(r)
	if err != nil {
		return err
	}
	uid, err := requireViewer(r)
	if err != nil {
		return err
	}
	b, err := h.base(r, v)
	if err != nil {
		return err
	}
	p, err := h.paragraphFor(r, v)
	if err != nil {
		return err
	}
	in := ObservationInput{Kind: f.Get("kind"), Body: f.Raw("body"), Proposed: f.Raw("proposed"), Attachment: up}
	o, err := h.m.File(r.Context(), uid, v.Component, p.ID, in)
	if err != nil {
		if h.s.Fail(r, f, rateLimitedField(err)) {
			return h.s.RenderForm(w, r, "consultation/observe.html", h.observePage(r, b, p), f)
		}
		return err
	}
	h.s.SetFlash(w, "consultation.flash.filed")
	return web.Redirect(w, r, b.ObsURL(o))
}

// ownObservation loads the viewer's own observation for the edit form.
func (h *handlers) ownObservation(r *http.Request, v component.View) (*Observation, int64, error) {
	uid, err := requireViewer(r)
	if err != nil {
		return nil, 0, err
	}
	id, err := web.PathID(r, "observation")
	if err != nil {
		return nil, 0, err
	}
	o, err := h.m.Observation(r.Context(), v.Component.ID, id, false)
	if err != nil {
		return nil, 0, err
	}
	if o.AuthorID != uid {
		return nil, 0, errForbidden(id)
	}
	return o, uid, nil
}

func (h *handlers) editPage(r *http.Request, b base, o *Observation) observePage {
	p := &Paragraph{ID: o.ParagraphID, SectionID: o.SectionID, Number: o.ParagraphNumber, Body: o.ParagraphText, Section: o.Section()}
	page := h.observePage(r, b, p)
	page.Editing = o
	page.Action = b.ObsURL(o) + "/edit"
	return page
}

func (h *handlers) editForm(w http.ResponseWriter, r *http.Request, v component.View) error {
	o, uid, err := h.ownObservation(r, v)
	if err != nil {
		return err
	}
	b, err := h.base(r, v)
	if err != nil {
		return err
	}
	page := h.editPage(r, b, o)
	st, err := h.m.CanChange(r.Context(), uid, v.Component, o)
	if err != nil {
		return err
	}
	if !st.Allowed {
		page.Refusal = h.t(r)(st.ReasonKey)
		if st.ReasonKey == "" {
			page.Refusal = h.t(r)("consultation.locked.withdrawn")
		}
		return h.s.RenderStatus(w, r, http.StatusForbidden, "consultation/observe.html", page)
	}
	proposed := o.Proposed
	if proposed == "" {
		proposed = o.ParagraphText
	}
	f := web.NewForm(map[string]string{"kind": o.Kind, "body": o.Body, "proposed": proposed})
	return h.s.RenderForm(w, r, "consultation/observe.html", page, f)
}

func (h *handlers) edit(w http.ResponseWriter, r *http.Request, v component.View) error {
	f, up, err := h.readUpload(r)
	if err != nil {
		return err
	}
	o, uid, err := h.ownObservation(r, v)
	if err != nil {
		return err
	}
	b, err := h.base(r, v)
	if err != nil {
		return err
	}
	in := ObservationInput{Kind: f.Get("kind"), Body: f.Raw("body"), Proposed: f.Raw("proposed"), Attachment: up,
		RemoveAttachment: f.Checked("remove_attachment")}
	if _, err := h.m.Edit(r.Context(), uid, v.Component, o.ID, in); err != nil {
		if h.s.Fail(r, f, err) {
			return h.s.RenderForm(w, r, "consultation/observe.html", h.editPage(r, b, o), f)
		}
		return err
	}
	h.s.SetFlash(w, "consultation.flash.edited")
	return web.Redirect(w, r, b.ObsURL(o))
}

func (h *handlers) withdraw(w http.ResponseWriter, r *http.Request, v component.View) error {
	if _, err := web.ParseForm(r); err != nil {
		return err
	}
	o, uid, err := h.ownObservation(r, v)
	if err != nil {
		return err
	}
	b, err := h.base(r, v)
	if err != nil {
		return err
	}
	if _, err := h.m.Withdraw(r.Context(), uid, v.Component, o.ID); err != nil {
		return h.refused(w, r, b, err, b.ObsURL(o))
	}
	h.s.SetFlash(w, "consultation.flash.withdrawn")
	return web.Redirect(w, r, b.ObsURL(o))
}

// attachment serves an observation's PDF as a download that the browser
// neither sniffs nor renders in the site's origin.
func (h *handlers) attachment(w http.ResponseWriter, r *http.Request, v component.View) error {
	id, err := web.PathID(r, "observation")
	if err != nil {
		return err
	}
	a, err := h.m.AttachmentOf(r.Context(), v.Component.ID, id)
	if err != nil {
		return err
	}
	hd := w.Header()
	hd.Set("Content-Type", "application/pdf")
	hd.Set("Content-Disposition", ContentDisposition(a.Name))
	hd.Set("Content-Length", strconv.FormatInt(int64(len(a.Data)), 10))
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	hd.Set("Cache-Control", "private, no-cache")
	_, err = w.Write(a.Data)
	return err
}
