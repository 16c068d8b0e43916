package process

import "net/http"

type dashboardLink struct {
	URL, Label, Hint string
}

// adminDashboard is the entry to the administration: processes,
// territories, and what other modules add.
func (h *Handlers) adminDashboard(w http.ResponseWriter, r *http.Request) error {
	links := []dashboardLink{
		{"/admin/processes", h.t(r, "process.admin.processes.title"), h.t(r, "process.admin.dashboard.processes_hint")},
		{"/admin/territories", h.t(r, "process.admin.territories.title"), h.t(r, "process.admin.dashboard.territories_hint")},
	}
	for _, l := range h.AdminLinks {
		d := dashboardLink{URL: l.URL, Label: h.t(r, l.LabelKey)}
		if l.HintKey != "" {
			d.Hint = h.t(r, l.HintKey)
		}
		links = append(links, d)
	}
	return h.S.Render(w, r, "process/admin_dashboard.html", links)
}
