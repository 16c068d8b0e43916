package consultation

import (
	"net/http"

	"github.com/arengo/arengo/internal/component"
	"github.com/arengo/arengo/internal/kernel"
	"github.com/arengo/arengo/internal/web"
)

type adminPage struct {
	base
	Versions     []DocumentVersion
	Attachments  []Attachment
	Drafts       int
	Publications []Publication
	OutcomeCodes []string
	Paragraphs   int
}

func (h *handlers) adminData(r *http.Request, v component.View) (adminPage, error) {
	b, err := h.base(r, v)
	if err != nil {
		return adminPage{}, err
	}
	ctx := r.Context()
	p := adminPage{base: b, OutcomeCodes: Outcomes()}
	if p.Versions, err = h.m.DocumentVersions(ctx, v.Component.ID); err != nil {
		return p, err
	}
	if len(p.Versions) > 0 {
		p.Paragraphs = p.Versions[0].Paragraphs
	}
	if p.Attachments, err = h.m.Attachments(ctx, v.Component.ID); err != nil {
		return p, err
	}
	if p.Drafts, err = h.m.DraftCount(ctx, v.Component.ID); err != nil {
		return p, err
	}
	if p.Publications, err = h.m.Publications(ctx, v.Component.ID); err != nil {
		return p, err
	}
	return p, nil
}

// settingsForm pre-fills the settings and attachment forms.
func settingsForm(c Consultation) *web.Form {
	vals := map[string]string{
		"prefix": c.ProtocolPrefix, "max_length": itoa(int64(c.MaxLength)),
		"title_it": c.DocumentTitle[kernel.LocaleIT], "title_en": c.DocumentTitle[kernel.LocaleEN],
	}
	for o, t := range c.OutcomeLabels {
		for _, l := range kernel.Locales {
			vals["label_"+o+"_"+l] = t[l]
		}
	}
	return web.NewForm(vals)
}

func (h *handlers) admin(w http.ResponseWriter, r *http.Request, v component.View) error {
	p, err := h.adminData(r, v)
	if err != nil {
		return err
	}
	return h.s.RenderForm(w, r, "consultation/admin.html", p, settingsForm(p.Cons))
}

func (h *handlers) saveSettings(w http.ResponseWriter, r *http.Request, v component.View) error {
	f, err := web.ParseForm(r)
	if err != nil {
		return err
	}
	in := SettingsInput{Prefix: f.Get("prefix"), MaxLength: f.Get("max_length"),
		DocumentTitle: kernel.Text{kernel.LocaleIT: f.Get("title_it"), kernel.LocaleEN: f.Get("title_en")},
		OutcomeLabels: map[string]kernel.Text{}}
	for _, o := range Outcomes() {
		in.OutcomeLabels[o] = kernel.Text{kernel.LocaleIT: f.Get("label_" + o + "_it"), kernel.LocaleEN: f.Get("label_" + o + "_en")}
	}
	if err := h.m.SaveSettings(r.Context(), v.Component, in); err != nil {
		if h.s.Fail(r, f, err) {
			p, perr := h.adminData(r, v)
			if perr != nil {
				return perr
			}
			return h.s.RenderForm(w, r, "consultation/admin.html", p, f)
		}
		return err
	}
	h.s.SetFlash(w, "consultation.flash.settings_saved")
	return web.Redirect(w, r, component.AdminURL(v.Process.ID, v.Component.ID, "/manage"))
}

func (h *handlers) addAttachment(w http.ResponseWriter, r *http.Request, v component.View) error {
	f, err := web.ParseForm(r)
	if err != nil {
		return err
	}
	title := kernel.Text{kernel.LocaleIT: f.Get("att_title_it"), kernel.LocaleEN: f.Get("att_title_en")}
	if err := h.m.AddAttachment(r.Context(), v.Component, title, f.Get("att_url")); err != nil {
		if h.s.Fail(r, f, err) {
			p, perr := h.adminData(r, v)
			if perr != nil {
				return perr
			}
			// Keep the settings as stored, and what was typed in the attachment form.
			sf := settingsForm(p.Cons)
			for k, vs := range f.Values {
				sf.Values[k] = vs
			}
			sf.Errors = f.Errors
			return h.s.RenderForm(w, r, "consultation/admin.html", p, sf)
		}
		return err
	}
	h.s.SetFlash(w, "consultation.flash.attachment_added")
	return web.Redirect(w, r, component.AdminURL(v.Process.ID, v.Component.ID, "/manage")+"#attachments")
}

func (h *handlers) deleteAttachment(w http.ResponseWriter, r *http.Request, v component.View) error {
	if _, err := web.ParseForm(r); err != nil {
		return err
	}
	id, err := web.PathID(r, "attachment")
	if err != nil {
		return err
	}
	if err := h.m.DeleteAttachment(r.Context(), v.Component, id); err != nil {
		return err
	}
	h.s.SetFlash(w, "consultation.flash.attachment_deleted")
	return web.Redirect(w, r, component.AdminURL(v.Process.ID, v.Component.ID, "/manage")+"#attachments")
}

type importPage struct {
	base
	Versions []DocumentVersion
	Action   string
}

func (h *handlers) importData(r *http.Request, v component.View) (importPage, error) {
	b, err := h.base(r, v)
	if err != nil {
		return importPage{}, err
	}
	p := importPage{base: b, Action: b.AdminURL + "/document"}
	p.Versions, err = h.m.DocumentVersions(r.Context(), v.Component.ID)
	return p, err
}

func (h *handlers) importForm(w http.ResponseWriter, r *http.Request, v component.View) error {
	p, err := h.importData(r, v)
	if err != nil {
		return err
	}
	return h.s.RenderForm(w, r, "consultation/import.html", p, web.NewForm(nil))
}

func (h *handlers) importDocument(w http.ResponseWriter, r *http.Request, v component.View) error {
	f, err := web.ParseForm(r)
	if err != nil {
		return err
	}
	if _, err := h.m.ImportDocument(r.Context(), v.Component, f.Raw("document"), f.Get("note")); err != nil {
		if h.s.Fail(r, f, err) {
			p, perr := h.importData(r, v)
			if perr != nil {
				return perr
			}
			return h.s.RenderForm(w, r, "consultation/import.html", p, f)
		}
		return err
	}
	h.s.SetFlash(w, "consultation.flash.imported")
	return web.Redirect(w, r, component.AdminURL(v.Process.ID, v.Component.ID, "/manage"))
}

type publishPage struct {
	base
	Drafts       int
	Publications []Publication
	Action       string
}

func (h *handlers) publishData(r *http.Request, v component.View) (publishPage, error) {
	b, err := h.base(r, v)
	if err != nil {
		return publishPage{}, err
	}
	p := publishPage{base: b, Action: b.AdminURL + "/publish"}
	if p.Drafts, err = h.m.DraftCount(r.Context(), v.Component.ID); err != nil {
		return p, err
	}
	p.Publications, err = h.m.Publications(r.Context(), v.Component.ID)
	return p, err
}

func (h *handlers) publishForm(w http.ResponseWriter, r *http.Request, v component.View) error {
	p, err := h.publishData(r, v)
	if err != nil {
		return err
	}
	return h.s.RenderForm(w, r, "consultation/publish.html", p, web.NewForm(nil))
}

func (h *handlers) publish(w http.ResponseWriter, r *http.Request, v component.View) error {
	f, err := web.ParseForm(r)
	if err != nil {
		return err
	}
	if _, err := h.m.PublishReplies(r.Context(), v.Component, PublishInput{Note: f.Raw("note"), DecidedOn: f.Get("decided_on")}); err != nil {
		if h.s.Fail(r, f, err) {
			p, perr := h.publishData(r, v)
			if perr != nil {
				return perr
			}
			return h.s.RenderForm(w, r, "consultation/publish.html", p, f)
		}
		return err
	}
	h.s.SetFlash(w, "consultation.flash.published")
	return web.Redirect(w, r, component.AdminURL(v.Process.ID, v.Component.ID, "/manage"))
}
