package process

import (
	"net/http"
	"strconv"

	"github.com/arengo/arengo/internal/kernel"
	"github.com/arengo/arengo/internal/web"
)

type pactEditorSection struct {
	Key, Name string
}

type pactEditorData struct {
	Process  Process
	Nav      []navLink
	Action   string
	Sections []pactEditorSection
	Draft    PactDraft
	Versions []PactVersion
}

// adminPact is the Pact editor: one text area per section and language,
// "save draft" and "publish" with a change note.
func (h *Handlers) adminPact(w http.ResponseWriter, r *http.Request) error {
	p, err := h.adminProcess(r)
	if err != nil {
		return err
	}
	draft, err := h.Svc.PactDraft(r.Context(), p.ID)
	if err != nil {
		return err
	}
	vals := map[string]string{}
	for _, k := range pactSections {
		textValues(vals, "section_"+k, draft.Sections[k])
	}
	return h.renderPactEditor(w, r, p, draft, web.NewForm(vals))
}

func (h *Handlers) renderPactEditor(w http.ResponseWriter, r *http.Request, p Process, draft PactDraft, f *web.Form) error {
	versions, err := h.Svc.PactVersions(r.Context(), p.ID)
	if err != nil {
		return err
	}
	d := pactEditorData{Process: p, Nav: h.adminNav(r, p, "pact"), Action: "/admin/processes/" + strconv.FormatInt(p.ID, 10) + "/pact",
		Draft: draft, Versions: versions}
	for _, k := range pactSections {
		d.Sections = append(d.Sections, pactEditorSection{Key: k, Name: h.t(r, "process.pact.section."+k)})
	}
	return h.S.RenderForm(w, r, "process/admin_pact.html", d, f)
}

func (h *Handlers) adminPactSubmit(w http.ResponseWriter, r *http.Request) error {
	p, err := h.adminProcess(r)
	if err != nil {
		return err
	}
	f, err := web.ParseForm(r)
	if err != nil {
		return err
	}
	sections := Sections{}
	for _, k := range pactSections {
		sections[k] = textFrom(f, "section_"+k, true)
	}
	var flash string
	switch f.Get("action") {
	case "publish":
		_, err = h.Svc.PublishPact(r.Context(), p.ID, sections, textFrom(f, "change_note", false))
		flash = "process.flash.pact_published"
	case "save":
		err = h.Svc.SavePactDraft(r.Context(), p.ID, sections)
		flash = "process.flash.pact_saved"
	default:
		err = kernel.Invalid("", "process.error.choice_invalid")
	}
	if err != nil {
		if h.S.Fail(r, f, err) {
			draft, derr := h.Svc.PactDraft(r.Context(), p.ID)
			if derr != nil {
				return derr
			}
			return h.renderPactEditor(w, r, p, draft, f)
		}
		return err
	}
	h.S.SetFlash(w, flash)
	return web.Redirect(w, r, "/admin/processes/"+strconv.FormatInt(p.ID, 10)+"/pact")
}
