package process

import (
	"net/http"
	"strconv"

	"github.com/arengo/arengo/internal/kernel"
	"github.com/arengo/arengo/internal/web"
)

type phaseRow struct {
	phaseView
	TitleLabel     string
	EditURL        string
	DeleteURL      string
	MoveURL        string
	First, Last    bool
	DeleteQuestion string
}

type phasesData struct {
	Process   Process
	Nav       []navLink
	Rows      []phaseRow
	Pin       *web.Form
	PinOpts   []web.Option
	ActionURL string
	PinURL    string
}

// adminPhases lists the phases with their actions, the form to add one and
// the "current phase" selector.
func (h *Handlers) adminPhases(w http.ResponseWriter, r *http.Request) error {
	p, err := h.adminProcess(r)
	if err != nil {
		return err
	}
	return h.renderPhases(w, r, p, web.NewForm(nil), nil)
}

func (h *Handlers) renderPhases(w http.ResponseWriter, r *http.Request, p Process, addForm, pinForm *web.Form) error {
	phases, err := h.Svc.Phases(r.Context(), p.ID)
	if err != nil {
		return err
	}
	locale := web.LocaleFrom(r.Context())
	views, _, _ := phaseViews(p, phases, h.Svc.Now())
	base := "/admin/processes/" + strconv.FormatInt(p.ID, 10)
	d := phasesData{Process: p, Nav: h.adminNav(r, p, "phases"), ActionURL: base + "/phases", PinURL: base + "/pin"}
	d.PinOpts = []web.Option{{Value: "", Label: h.t(r, "process.phase.follow_dates")}}
	for i, v := range views {
		title := v.Title.In(locale)
		pu := base + "/phases/" + strconv.FormatInt(v.ID, 10)
		d.Rows = append(d.Rows, phaseRow{phaseView: v, TitleLabel: title, EditURL: pu + "/edit", DeleteURL: pu + "/delete", MoveURL: pu + "/move",
			First: i == 0, Last: i == len(views)-1, DeleteQuestion: h.t(r, "process.phase.delete_confirm", "title", title)})
		d.PinOpts = append(d.PinOpts, web.Option{Value: strconv.FormatInt(v.ID, 10), Label: strconv.Itoa(v.Number) + ". " + title})
	}
	if pinForm == nil {
		pinForm = web.NewForm(map[string]string{"pinned_phase_id": idString(p.PinnedPhaseID)})
	}
	d.Pin = pinForm
	return h.S.RenderForm(w, r, "process/admin_phases.html", d, addForm)
}

func (h *Handlers) phaseInput(f *web.Form, v *kernel.Validator) PhaseInput {
	loc := h.Svc.Location()
	return PhaseInput{
		Title:       textFrom(f, "title", false),
		Description: textFrom(f, "description", true),
		StartsAt:    parseTime(f, "starts_at", dateTimeLayout, loc, v),
		EndsAt:      parseTime(f, "ends_at", dateTimeLayout, loc, v),
	}
}

func (h *Handlers) adminPhaseCreate(w http.ResponseWriter, r *http.Request) error {
	p, err := h.adminProcess(r)
	if err != nil {
		return err
	}
	return h.submitPhase(w, r, p, "process.flash.phase_added",
		func(in PhaseInput) error { _, err := h.Svc.AddPhase(r.Context(), p.ID, in); return err },
		func(f *web.Form) error { return h.renderPhases(w, r, p, f, nil) })
}

// submitPhase parses a phase form and saves it with save. Date parsing and
// the service's rules are reported together, on the form rendered by
// rerender; success goes back to the phases list with flash.
func (h *Handlers) submitPhase(w http.ResponseWriter, r *http.Request, p Process, flash string, save func(PhaseInput) error, rerender func(*web.Form) error) error {
	f, err := web.ParseForm(r)
	if err != nil {
		return err
	}
	v := &kernel.Validator{}
	in := h.phaseInput(f, v)
	if err = v.Err(); err == nil {
		err = save(in)
	} else {
		in.Validate(v)
		err = v.Err()
	}
	if err != nil {
		if h.S.Fail(r, f, err) {
			return rerender(f)
		}
		return err
	}
	h.S.SetFlash(w, flash)
	return web.Redirect(w, r, "/admin/processes/"+strconv.FormatInt(p.ID, 10)+"/phases")
}

type phaseFormData struct {
	Process Process
	Phase   Phase
	Nav     []navLink
	Action  string
}

func (h *Handlers) adminPhaseLoad(r *http.Request) (Process, Phase, error) {
	p, err := h.adminProcess(r)
	if err != nil {
		return Process{}, Phase{}, err
	}
	phaseID, err := web.PathID(r, "phase")
	if err != nil {
		return Process{}, Phase{}, err
	}
	ph, err := h.Svc.Phase(r.Context(), p.ID, phaseID)
	return p, ph, err
}

func (h *Handlers) renderPhaseForm(w http.ResponseWriter, r *http.Request, p Process, ph Phase, f *web.Form) error {
	d := phaseFormData{Process: p, Phase: ph, Nav: h.adminNav(r, p, "phases"),
		Action: "/admin/processes/" + strconv.FormatInt(p.ID, 10) + "/phases/" + strconv.FormatInt(ph.ID, 10)}
	return h.S.RenderForm(w, r, "process/admin_phase_form.html", d, f)
}

func (h *Handlers) adminPhaseEdit(w http.ResponseWriter, r *http.Request) error {
	p, ph, err := h.adminPhaseLoad(r)
	if err != nil {
		return err
	}
	loc := h.Svc.Location()
	vals := map[string]string{"starts_at": ph.StartsAt.In(loc).Format(dateTimeLayout), "ends_at": ph.EndsAt.In(loc).Format(dateTimeLayout)}
	textValues(vals, "title", ph.Title)
	textValues(vals, "description", ph.Description)
	return h.renderPhaseForm(w, r, p, ph, web.NewForm(vals))
}

func (h *Handlers) adminPhaseUpdate(w http.ResponseWriter, r *http.Request) error {
	p, ph, err := h.adminPhaseLoad(r)
	if err != nil {
		return err
	}
	return h.submitPhase(w, r, p, "process.flash.phase_saved",
		func(in PhaseInput) error { _, err := h.Svc.UpdatePhase(r.Context(), p.ID, ph.ID, in); return err },
		func(f *web.Form) error { return h.renderPhaseForm(w, r, p, ph, f) })
}

func (h *Handlers) adminPhaseDelete(w http.ResponseWriter, r *http.Request) error {
	p, ph, err := h.adminPhaseLoad(r)
	if err != nil {
		return err
	}
	if err := h.Svc.DeletePhase(r.Context(), p.ID, ph.ID); err != nil {
		return err
	}
	h.S.SetFlash(w, "process.flash.phase_deleted")
	return web.Redirect(w, r, "/admin/processes/"+strconv.FormatInt(p.ID, 10)+"/phases")
}

func (h *Handlers) adminPhaseMove(w http.ResponseWriter, r *http.Request) error {
	p, ph, err := h.adminPhaseLoad(r)
	if err != nil {
		return err
	}
	f, err := web.ParseForm(r)
	if err != nil {
		return err
	}
	dir := f.Get("direction")
	if dir != "up" && dir != "down" {
		return kernel.Invalid("direction", "process.error.choice_invalid")
	}
	if err := h.Svc.MovePhase(r.Context(), p.ID, ph.ID, dir == "up"); err != nil {
		return err
	}
	h.S.SetFlash(w, "process.flash.phase_moved")
	return web.Redirect(w, r, "/admin/processes/"+strconv.FormatInt(p.ID, 10)+"/phases")
}

func (h *Handlers) adminPhasePin(w http.ResponseWriter, r *http.Request) error {
	p, err := h.adminProcess(r)
	if err != nil {
		return err
	}
	f, err := web.ParseForm(r)
	if err != nil {
		return err
	}
	v := &kernel.Validator{}
	phaseID := parseIDField(f, "pinned_phase_id", v)
	if err = v.Err(); err == nil {
		err = h.Svc.PinPhase(r.Context(), p.ID, phaseID)
	}
	if err != nil {
		if h.S.Fail(r, f, err) {
			return h.renderPhases(w, r, p, f, f)
		}
		return err
	}
	h.S.SetFlash(w, "process.flash.pin_saved")
	return web.Redirect(w, r, "/admin/processes/"+strconv.FormatInt(p.ID, 10)+"/phases")
}
