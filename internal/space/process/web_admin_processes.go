package process

import (
	"net/http"
	"strconv"

	"github.com/arengo/arengo/internal/kernel"
	"github.com/arengo/arengo/internal/web"
)

type adminProcessRow struct {
	Process
	TitleLabel  string
	StatusLabel string
	Territory   string
}

func (h *Handlers) adminProcesses(w http.ResponseWriter, r *http.Request) error {
	names, _, err := h.territoryNames(r)
	if err != nil {
		return err
	}
	ps, _, err := h.Svc.List(r.Context(), Filter{})
	if err != nil {
		return err
	}
	locale := web.LocaleFrom(r.Context())
	now := h.Svc.Now()
	rows := make([]adminProcessRow, 0, len(ps))
	for _, p := range ps {
		rows = append(rows, adminProcessRow{Process: p, TitleLabel: p.Title.In(locale),
			StatusLabel: h.t(r, "process.status."+string(p.Status(now))), Territory: names[p.TerritoryID]})
	}
	return h.S.Render(w, r, "process/admin_processes.html", rows)
}

type processFormData struct {
	Process     Process // zero when creating
	Action      string
	Nav         []navLink
	Territories []web.Option
	// CanPublish is false for space administrators: publishing the process
	// itself is the platform's call.
	CanPublish bool
	CancelURL  string
}

func (h *Handlers) renderProcessForm(w http.ResponseWriter, r *http.Request, p Process, f *web.Form) error {
	ts, err := h.Svc.Territories(r.Context())
	if err != nil {
		return err
	}
	d := processFormData{Process: p, Action: "/admin/processes", Territories: h.territoryOptions(r, ts, "process.field.no_territory", 0),
		CanPublish: isAdmin(r), CancelURL: "/admin/processes"}
	if !d.CanPublish {
		d.CancelURL = "/processes/" + p.Slug
	}
	if p.ID != 0 {
		d.Action = "/admin/processes/" + strconv.FormatInt(p.ID, 10)
		d.Nav = h.adminNav(r, p, "edit")
	}
	return h.S.RenderForm(w, r, "process/admin_process_form.html", d, f)
}

// processInput reads the form; date and choice fields that do not parse are
// reported on v.
func (h *Handlers) processInput(f *web.Form, v *kernel.Validator) ProcessInput {
	loc := h.Svc.Location()
	return ProcessInput{
		Title:       textFrom(f, "title", false),
		Subtitle:    textFrom(f, "subtitle", false),
		Description: textFrom(f, "description", true),
		Slug:        f.Get("slug"),
		TerritoryID: parseIDField(f, "territory_id", v),
		StartsOn:    parseTime(f, "starts_on", dateLayout, loc, v),
		EndsOn:      parseTime(f, "ends_on", dateLayout, loc, v),
		Published:   f.Checked("published"),
	}
}

func (h *Handlers) adminProcessNew(w http.ResponseWriter, r *http.Request) error {
	return h.renderProcessForm(w, r, Process{}, web.NewForm(nil))
}

func (h *Handlers) adminProcessCreate(w http.ResponseWriter, r *http.Request) error {
	f, err := web.ParseForm(r)
	if err != nil {
		return err
	}
	v := &kernel.Validator{}
	in := h.processInput(f, v)
	var p Process
	if err = v.Err(); err == nil {
		p, err = h.Svc.Create(r.Context(), in)
	} else {
		in.Validate(v)
		err = v.Err()
	}
	if err != nil {
		if h.S.Fail(r, f, err) {
			return h.renderProcessForm(w, r, Process{}, f)
		}
		return err
	}
	h.S.SetFlash(w, "process.flash.created")
	return web.Redirect(w, r, "/admin/processes/"+strconv.FormatInt(p.ID, 10)+"/phases")
}

func (h *Handlers) adminProcessRedirect(w http.ResponseWriter, r *http.Request) error {
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/admin/processes/"+strconv.FormatInt(id, 10)+"/edit", http.StatusSeeOther)
	return nil
}

func (h *Handlers) adminProcess(r *http.Request) (Process, error) {
	id, err := web.PathID(r, "id")
	if err != nil {
		return Process{}, err
	}
	return h.Svc.Get(r.Context(), id)
}

func (h *Handlers) adminProcessEdit(w http.ResponseWriter, r *http.Request) error {
	p, err := h.adminProcess(r)
	if err != nil {
		return err
	}
	loc := h.Svc.Location()
	vals := map[string]string{
		"slug": p.Slug, "territory_id": idString(p.TerritoryID),
		"starts_on": p.StartsOn.In(loc).Format(dateLayout), "ends_on": p.LastDay().In(loc).Format(dateLayout),
	}
	if p.Published() {
		vals["published"] = "on"
	}
	textValues(vals, "title", p.Title)
	textValues(vals, "subtitle", p.Subtitle)
	textValues(vals, "description", p.Description)
	return h.renderProcessForm(w, r, p, web.NewForm(vals))
}

func (h *Handlers) adminProcessUpdate(w http.ResponseWriter, r *http.Request) error {
	p, err := h.adminProcess(r)
	if err != nil {
		return err
	}
	f, err := web.ParseForm(r)
	if err != nil {
		return err
	}
	v := &kernel.Validator{}
	in := h.processInput(f, v)
	if !isAdmin(r) {
		// Space administrators edit their process but do not publish or
		// hide it, whatever the form says.
		in.Published = p.Published()
	}
	if err = v.Err(); err == nil {
		_, err = h.Svc.Update(r.Context(), p.ID, in)
	} else {
		in.Validate(v)
		err = v.Err()
	}
	if err != nil {
		if h.S.Fail(r, f, err) {
			return h.renderProcessForm(w, r, p, f)
		}
		return err
	}
	h.S.SetFlash(w, "process.flash.saved")
	return web.Redirect(w, r, "/admin/processes/"+strconv.FormatInt(p.ID, 10)+"/edit")
}
