package process

import "net/http"

// homeLimit caps each list on the home page; the full list is a link away.
const homeLimit = 6

type homeData struct {
	Open, Upcoming []card
	MoreOpen       bool
	MoreUpcoming   bool
}

// home shows the processes open now first, then the upcoming ones.
func (h *Handlers) home(w http.ResponseWriter, r *http.Request) error {
	names, _, err := h.territoryNames(r)
	if err != nil {
		return err
	}
	open, nOpen, err := h.Svc.List(r.Context(), Filter{PublishedOnly: true, Status: StatusOpen, Limit: homeLimit})
	if err != nil {
		return err
	}
	upcoming, nUpcoming, err := h.Svc.List(r.Context(), Filter{PublishedOnly: true, Status: StatusUpcoming, Limit: homeLimit})
	if err != nil {
		return err
	}
	return h.S.Render(w, r, "process/home.html", homeData{
		Open: h.cards(r, open, names), Upcoming: h.cards(r, upcoming, names),
		MoreOpen: nOpen > len(open), MoreUpcoming: nUpcoming > len(upcoming),
	})
}
