package eligibility

import (
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"net/http"
	"strconv"

	"github.com/arengo/arengo/internal/authz"
	"github.com/arengo/arengo/internal/component"
	"github.com/arengo/arengo/internal/db"
	"github.com/arengo/arengo/internal/kernel"
	"github.com/arengo/arengo/internal/web"
)

//go:embed templates/*.html
var templatesFS embed.FS

// Templates returns the requirements admin page (namespace "eligibility").
func Templates() web.TemplateSource {
	sub, _ := fs.Sub(templatesFS, "templates")
	return web.TemplateSource{Namespace: "eligibility", FS: sub}
}

// Web serves the page where administrators of a space choose what each
// action of a component requires of participants.
type Web struct {
	S          *web.Server
	DB         *db.DB
	Authz      *authz.Authorizer
	Components *component.Service
	Registry   *component.Registry
	Store      *Store
	Eval       *Evaluator // for the configured participation age
}

// RequirementsURL is the page of a component's requirements.
func RequirementsURL(processID, componentID int64) string {
	return component.AdminURL(processID, componentID, "/requirements")
}

// Routes registers the page.
func (h *Web) Routes() {
	const path = "/admin/processes/{id}/components/{componentID}/requirements"
	h.S.Handle("GET "+path, h.show)
	h.S.Handle("POST "+path, h.save)
}

// Form choices besides the named presets.
const (
	choiceDefault = "default" // no requirement stored: the platform default
	choiceCustom  = "custom"  // the fields below
)

// load returns the process and component of the URL after checking that
// the viewer administers the process (space or platform administrator).
func (h *Web) load(r *http.Request) (authz.Process, component.Component, error) {
	v := web.ViewerFrom(r.Context())
	if v == nil {
		return authz.Process{}, component.Component{}, kernel.ErrUnauthenticated
	}
	pid, err := web.PathID(r, "id")
	if err != nil {
		return authz.Process{}, component.Component{}, err
	}
	cid, err := web.PathID(r, "componentID")
	if err != nil {
		return authz.Process{}, component.Component{}, err
	}
	p, err := authz.LoadProcess(r.Context(), h.DB.R(), pid)
	if err != nil {
		return authz.Process{}, component.Component{}, err
	}
	if err := h.Authz.RequireManage(r.Context(), v.ID, p.Ref()); err != nil {
		return authz.Process{}, component.Component{}, err
	}
	c, err := h.Components.GetIn(r.Context(), p.Ref(), cid)
	if err != nil {
		return authz.Process{}, component.Component{}, err
	}
	return p, c, nil
}

// actionView is one action's fieldset.
type actionView struct {
	Action      string
	Label       string
	Preset      string // field names
	Level       string
	Age         string
	Residence   string
	CityUsers   string
	Electors    string
	PresetOpts  []web.Option
	LevelOpts   []web.Option
	ResOpts     []web.Option
	DefaultText string // what the platform default is for this action
}

type pageData struct {
	Process   authz.Process
	Component component.Component
	TypeName  string
	Territory string // the process's territory, for the residence hint
	Actions   []actionView
	MinAge    int
}

func (h *Web) actions(c component.Component) []string {
	m, ok := h.Registry.Get(c.Type)
	if !ok {
		return nil
	}
	return m.Actions
}

func (h *Web) render(w http.ResponseWriter, r *http.Request, p authz.Process, c component.Component, f *web.Form) error {
	ctx := r.Context()
	locale := web.LocaleFrom(ctx)
	cat := h.S.Catalog()
	t := func(key string, args ...any) string { return cat.T(locale, key, args...) }
	var territoryID sql.NullInt64
	if err := h.DB.R().QueryRowContext(ctx, `SELECT territory_id FROM processes WHERE id = $1`, p.ID).Scan(&territoryID); err != nil {
		return fmt.Errorf("eligibility: process territory: %w", db.Normalize(err))
	}
	terr, err := LoadTerritory(ctx, h.DB.R(), territoryID.Int64)
	if err != nil {
		return err
	}
	d := pageData{Process: p, Component: c, TypeName: c.Type, MinAge: h.Eval.ParticipationAge(), Territory: t("eligibility.admin.territory_comune")}
	if terr.ID != 0 {
		d.Territory = terr.Name.In(locale)
	}
	if m, ok := h.Registry.Get(c.Type); ok {
		d.TypeName = t(m.NameKey)
	}
	for _, a := range h.actions(c) {
		av := actionView{
			Action: a, Label: t("component.action." + a),
			Preset: a + "_preset", Level: a + "_min_level", Age: a + "_min_age", Residence: a + "_residence",
			CityUsers: a + "_allow_city_users", Electors: a + "_electors_only",
			DefaultText: Describe(h.Eval.DefaultFor(a), t),
		}
		av.PresetOpts = append(av.PresetOpts, web.Option{Value: choiceDefault, Label: t("eligibility.admin.preset_default")})
		for _, name := range PresetNames {
			av.PresetOpts = append(av.PresetOpts, web.Option{Value: name, Label: t("eligibility.preset." + name)})
		}
		av.PresetOpts = append(av.PresetOpts, web.Option{Value: choiceCustom, Label: t("eligibility.admin.preset_custom")})
		for _, l := range Levels {
			av.LevelOpts = append(av.LevelOpts, web.Option{Value: string(l), Label: t("eligibility.level." + string(l))})
		}
		for _, res := range []Residence{ResidenceAny, ResidenceComune, ResidenceMunicipio} {
			av.ResOpts = append(av.ResOpts, web.Option{Value: string(res), Label: t("eligibility.residence." + string(res))})
		}
		d.Actions = append(d.Actions, av)
	}
	return h.S.RenderForm(w, r, "eligibility/requirements.html", d, f)
}

// Describe says in one line what r asks ("SPID livello 2 o superiore, CIE ·
// almeno 16 anni · Residenti nel Comune · anche utenti della città").
func Describe(r Requirement, t func(key string, args ...any) string) string {
	s := t("eligibility.level." + string(r.MinLevel))
	if r.MinAge > 0 {
		s += " · " + t("eligibility.describe.min_age", "age", r.MinAge)
	}
	s += " · " + t("eligibility.residence."+string(r.Residence))
	if r.Residence != ResidenceAny && r.AllowCityUsers {
		s += " · " + t("eligibility.describe.city_users")
	}
	if r.ElectorsOnly {
		s += " · " + t("eligibility.describe.electors")
	}
	return s
}

func (h *Web) show(w http.ResponseWriter, r *http.Request) error {
	p, c, err := h.load(r)
	if err != nil {
		return err
	}
	stored, err := h.Store.All(r.Context(), c.ID)
	if err != nil {
		return err
	}
	presets := PresetsFor(h.Eval.ParticipationAge())
	vals := map[string]string{}
	for _, a := range h.actions(c) {
		req, ok := stored[a]
		choice := choiceDefault
		if ok {
			choice = choiceCustom
			for _, name := range PresetNames {
				if presets[name] == req {
					choice = name
					break
				}
			}
		} else {
			req = h.Eval.DefaultFor(a)
		}
		vals[a+"_preset"] = choice
		vals[a+"_min_level"] = string(req.MinLevel)
		vals[a+"_min_age"] = strconv.Itoa(req.MinAge)
		vals[a+"_residence"] = string(req.Residence)
		if req.AllowCityUsers {
			vals[a+"_allow_city_users"] = "on"
		}
		if req.ElectorsOnly {
			vals[a+"_electors_only"] = "on"
		}
	}
	return h.render(w, r, p, c, web.NewForm(vals))
}

// parse reads the form into one change per declared action.
func (h *Web) parse(f *web.Form, actions []string) ([]Change, error) {
	presets := PresetsFor(h.Eval.ParticipationAge())
	var v kernel.Validator
	var out []Change
	for _, a := range actions {
		switch choice := f.Get(a + "_preset"); choice {
		case choiceDefault:
			out = append(out, Change{Action: a})
		case choiceCustom:
			req := Requirement{
				MinLevel:       Level(f.Get(a + "_min_level")),
				Residence:      Residence(f.Get(a + "_residence")),
				AllowCityUsers: f.Checked(a + "_allow_city_users"),
				ElectorsOnly:   f.Checked(a + "_electors_only"),
			}
			age, err := strconv.Atoi(f.Get(a + "_min_age"))
			if err != nil {
				v.Add(a+"_min_age", "eligibility.error.min_age", "max", MaxMinAge)
			}
			req.MinAge = age
			out = append(out, Change{Action: a, Req: &req})
		default:
			req, ok := presets[choice]
			if !ok {
				v.Add(a+"_preset", "eligibility.error.preset")
				continue
			}
			out = append(out, Change{Action: a, Req: &req})
		}
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

func (h *Web) save(w http.ResponseWriter, r *http.Request) error {
	p, c, err := h.load(r)
	if err != nil {
		return err
	}
	f, err := web.ParseForm(r)
	if err != nil {
		return err
	}
	changes, err := h.parse(f, h.actions(c))
	if err == nil {
		err = h.Store.Apply(r.Context(), c.ID, changes, p.Ref().Type, p.ID)
	}
	if err != nil {
		if h.S.Fail(r, f, err) {
			return h.render(w, r, p, c, f)
		}
		return err
	}
	h.S.SetFlash(w, "eligibility.flash.saved")
	return web.Redirect(w, r, RequirementsURL(p.ID, c.ID))
}
