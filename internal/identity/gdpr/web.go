package gdpr

import (
	"database/sql"
	"embed"
	"io/fs"
	"net/http"
	"strconv"
	"time"

	"github.com/arengo/arengo/internal/audit"
	"github.com/arengo/arengo/internal/ratelimit"
	"github.com/arengo/arengo/internal/web"
)

//go:embed templates/*.html
var templatesFS embed.FS

// Templates returns the page (namespace "gdpr").
func Templates() web.TemplateSource {
	sub, _ := fs.Sub(templatesFS, "templates")
	return web.TemplateSource{Namespace: "gdpr", FS: sub}
}

// DefaultLimit is how many archives a person may download: building one
// reads everything about them, so it must not become a way to load the
// server.
func DefaultLimit() ratelimit.Rule { return ratelimit.Rule{Max: 5, Window: time.Hour} }

// Web serves "download my data".
type Web struct {
	S       *web.Server
	Svc     *Service
	Limiter *ratelimit.Limiter
	Limit   ratelimit.Rule // zero: DefaultLimit
}

// Routes registers the page and the download.
func (h *Web) Routes() {
	h.S.Handle("GET /account/data", web.RequireUser(h.page))
	h.S.Handle("POST /account/data/export", web.RequireUser(h.export))
}

func (h *Web) page(w http.ResponseWriter, r *http.Request) error {
	return h.S.Render(w, r, "gdpr/data.html", nil)
}

func (h *Web) export(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	v := web.ViewerFrom(ctx)
	rule := h.Limit
	if rule.Max <= 0 || rule.Window <= 0 {
		rule = DefaultLimit()
	}
	if err := h.Limiter.Allow(ctx, "gdpr-export:"+strconv.FormatInt(v.ID, 10), rule); err != nil {
		return err
	}
	now := h.S.Now()
	// Recorded before the first byte: an export that started is an export.
	if err := h.Svc.db.Tx(ctx, func(tx *sql.Tx) error {
		return audit.Record(ctx, tx, now, audit.Entry{Action: "gdpr.export", TargetType: "user", TargetID: v.ID,
			After: map[string]any{"format": "zip", "contributors": h.Svc.Contributors()}})
	}); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/zip")
	w.Header().Set("Content-Disposition", `attachment; filename="arengo-data-`+now.UTC().Format(time.DateOnly)+`.zip"`)
	w.Header().Set("Cache-Control", "no-store")
	if err := h.Svc.Write(ctx, w, v.ID, web.LocaleFrom(ctx)); err != nil {
		// Headers are gone: the browser gets a truncated file, we get the log.
		h.S.Log().ErrorContext(ctx, "gdpr: export failed", "err", err, "user_id", v.ID)
	}
	return nil
}
