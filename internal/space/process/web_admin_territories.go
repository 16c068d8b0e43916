package process

import (
	"net/http"
	"strconv"

	"github.com/arengo/arengo/internal/kernel"
	"github.com/arengo/arengo/internal/web"
)

type territoryRow struct {
	Territory
	NameLabel, KindLabel, Parent string
}

func (h *Handlers) adminTerritories(w http.ResponseWriter, r *http.Request) error {
	names, ts, err := h.territoryNames(r)
	if err != nil {
		return err
	}
	rows := make([]territoryRow, 0, len(ts))
	for _, t := range ts {
		rows = append(rows, territoryRow{Territory: t, NameLabel: names[t.ID], KindLabel: h.t(r, "process.territory.kind."+t.Kind), Parent: names[t.ParentID]})
	}
	return h.S.Render(w, r, "process/admin_territories.html", rows)
}

type territoryFormData struct {
	Territory Territory // zero when creating
	Action    string
	Kinds     []web.Option
	Parents   []web.Option
}

func (h *Handlers) renderTerritoryForm(w http.ResponseWriter, r *http.Request, t Territory, f *web.Form) error {
	ts, err := h.Svc.Territories(r.Context())
	if err != nil {
		return err
	}
	var comuni []Territory
	for _, x := range ts {
		if x.Kind == KindComune && x.ID != t.ID {
			comuni = append(comuni, x)
		}
	}
	d := territoryFormData{Territory: t, Action: "/admin/territories", Parents: h.territoryOptions(r, comuni, "process.territory.no_parent", t.ID)}
	if t.ID != 0 {
		d.Action = "/admin/territories/" + strconv.FormatInt(t.ID, 10)
	}
	for _, k := range Kinds() {
		d.Kinds = append(d.Kinds, web.Option{Value: k, Label: h.t(r, "process.territory.kind."+k)})
	}
	return h.S.RenderForm(w, r, "process/admin_territory_form.html", d, f)
}

func territoryInput(f *web.Form, v *kernel.Validator) TerritoryInput {
	return TerritoryInput{Name: textFrom(f, "name", false), Slug: f.Get("slug"), Kind: f.Get("kind"), ParentID: parseIDField(f, "parent_id", v)}
}

func (h *Handlers) adminTerritoryNew(w http.ResponseWriter, r *http.Request) error {
	return h.renderTerritoryForm(w, r, Territory{}, web.NewForm(map[string]string{"kind": KindMunicipio}))
}

func (h *Handlers) adminTerritoryCreate(w http.ResponseWriter, r *http.Request) error {
	f, err := web.ParseForm(r)
	if err != nil {
		return err
	}
	v := &kernel.Validator{}
	in := territoryInput(f, v)
	if err = v.Err(); err == nil {
		_, err = h.Svc.CreateTerritory(r.Context(), in)
	} else {
		in.Validate(v)
		err = v.Err()
	}
	if err != nil {
		if h.S.Fail(r, f, err) {
			return h.renderTerritoryForm(w, r, Territory{}, f)
		}
		return err
	}
	h.S.SetFlash(w, "process.flash.territory_saved")
	return web.Redirect(w, r, "/admin/territories")
}

func (h *Handlers) adminTerritoryEdit(w http.ResponseWriter, r *http.Request) error {
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	t, err := h.Svc.Territory(r.Context(), id)
	if err != nil {
		return err
	}
	vals := map[string]string{"slug": t.Slug, "kind": t.Kind, "parent_id": idString(t.ParentID)}
	textValues(vals, "name", t.Name)
	return h.renderTerritoryForm(w, r, t, web.NewForm(vals))
}

func (h *Handlers) adminTerritoryUpdate(w http.ResponseWriter, r *http.Request) error {
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	t, err := h.Svc.Territory(r.Context(), id)
	if err != nil {
		return err
	}
	f, err := web.ParseForm(r)
	if err != nil {
		return err
	}
	v := &kernel.Validator{}
	in := territoryInput(f, v)
	if err = v.Err(); err == nil {
		_, err = h.Svc.UpdateTerritory(r.Context(), id, in)
	} else {
		in.Validate(v)
		err = v.Err()
	}
	if err != nil {
		if h.S.Fail(r, f, err) {
			return h.renderTerritoryForm(w, r, t, f)
		}
		return err
	}
	h.S.SetFlash(w, "process.flash.territory_saved")
	return web.Redirect(w, r, "/admin/territories")
}
