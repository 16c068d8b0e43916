package verification

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"time"

	"github.com/arengo/arengo/internal/kernel"
	"github.com/arengo/arengo/internal/web"
)

//go:embed templates/*.html
var templatesFS embed.FS

// Templates returns the participant's verification page (namespace "verification").
func Templates() web.TemplateSource {
	sub, _ := fs.Sub(templatesFS, "templates")
	return web.TemplateSource{Namespace: "verification", FS: sub}
}

// CityUserStatus tells the page about the person's city-user approval: the
// one in force (until, territory name; zero until when none) and whether a
// request is pending. The city-user service provides it.
type CityUserStatus func(ctx context.Context, userID int64) (until time.Time, territory kernel.Text, pending bool, err error)

// Web serves /account/verifications: how the platform knows who the
// participant is, and where they count as resident, in plain language.
type Web struct {
	S        *web.Server
	Svc      *Service
	CityUser CityUserStatus // may be nil
}

// Routes registers the page.
func (h *Web) Routes() {
	h.S.Handle("GET /account/verifications", web.RequireUser(h.mine))
}

// Row is one verification as the page shows it.
type Row struct {
	Verification
	Active bool
	Office string
}

type mineData struct {
	Rows          []Row
	HasIdentity   bool
	Resident      bool
	Municipio     kernel.Text // the resident's Municipio by name, when the census says one
	MunicipioCode string
	Elector       bool
	CheckedAt     time.Time
	CityUntil     time.Time
	CityTerritory kernel.Text
	CityPending   bool
}

func (h *Web) mine(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	uid := web.ViewerFrom(ctx).ID
	all, err := h.Svc.List(ctx, uid)
	if err != nil {
		return err
	}
	now := h.S.Now()
	d := mineData{}
	for _, v := range all {
		d.Rows = append(d.Rows, Row{Verification: v, Active: v.Active(now), Office: v.Details["office"]})
	}
	id, err := h.Svc.Identity(ctx, uid)
	switch {
	case err == nil:
		d.HasIdentity, d.Resident, d.Elector, d.CheckedAt, d.MunicipioCode = true, id.Resident, id.Elector, id.CheckedAt, id.Municipio
		if id.Resident && id.Municipio != "" {
			err := h.Svc.db.R().QueryRowContext(ctx, `SELECT name FROM territories WHERE census_code = $1 ORDER BY id LIMIT 1`, id.Municipio).Scan(&d.Municipio)
			if err != nil && !errors.Is(err, sql.ErrNoRows) {
				return fmt.Errorf("verification: municipio name: %w", err)
			}
		}
	case !errors.Is(err, kernel.ErrNotFound):
		return err
	}
	if h.CityUser != nil {
		if d.CityUntil, d.CityTerritory, d.CityPending, err = h.CityUser(ctx, uid); err != nil {
			return err
		}
	}
	return h.S.Render(w, r, "verification/mine.html", d)
}
