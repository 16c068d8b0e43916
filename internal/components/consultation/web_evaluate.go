package consultation

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/arengo/arengo/internal/component"
	"github.com/arengo/arengo/internal/kernel"
	"github.com/arengo/arengo/internal/web"
)

type queuePage struct {
	base
	State        string
	States       []string
	Counts       map[string]int
	Observations []*Observation
	Page         int
	PrevURL      string
	NextURL      string
}

// evaluator returns the page base after checking the viewer evaluates here.
func (h *handlers) evaluator(r *http.Request, v component.View) (base, int64, error) {
	uid, err := requireViewer(r)
	if err != nil {
		return base{}, 0, err
	}
	b, err := h.base(r, v)
	if err != nil {
		return base{}, 0, err
	}
	if !b.CanEvaluate {
		return base{}, 0, kernel.ErrForbidden
	}
	return b, uid, nil
}

func (h *handlers) queue(w http.ResponseWriter, r *http.Request, v component.View) error {
	b, _, err := h.evaluator(r, v)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	state := q.Get("state")
	switch state {
	case QueueDrafted, QueuePublished:
	default:
		state = QueueTodo
	}
	qp := queuePage{base: b, State: state, States: QueueStates()}
	if qp.Counts, err = h.m.QueueCounts(r.Context(), v.Component.ID); err != nil {
		return err
	}
	// Beyond the last page (an old link, a typed URL): the last one.
	page := min(pageParam(q), max((qp.Counts[state]+PerPage-1)/PerPage, 1))
	qp.Page = page
	if qp.Observations, err = h.m.Queue(r.Context(), v.Component.ID, state, PerPage, (page-1)*PerPage); err != nil {
		return err
	}
	link := func(p int) string {
		return b.URL + "/evaluate?" + url.Values{"state": {state}, "page": {strconv.Itoa(p)}}.Encode()
	}
	if page > 1 {
		qp.PrevURL = link(page - 1)
	}
	if page*PerPage < qp.Counts[state] {
		qp.NextURL = link(page + 1)
	}
	return h.s.Render(w, r, "consultation/queue.html", qp)
}

type replyPage struct {
	base
	O              *Observation
	OutcomeOptions []web.Option
	Action         string
}

func (h *handlers) replyPage(r *http.Request, b base, o *Observation) replyPage {
	locale := web.LocaleFrom(r.Context())
	return replyPage{base: b, O: o, Action: b.URL + "/evaluate/" + itoa(o.ID),
		OutcomeOptions: h.options(r, Outcomes(), func(x string) string { return b.Outcome(x, locale) })}
}

func (h *handlers) replyForm(w http.ResponseWriter, r *http.Request, v component.View) error {
	b, _, err := h.evaluator(r, v)
	if err != nil {
		return err
	}
	id, err := web.PathID(r, "observation")
	if err != nil {
		return err
	}
	o, err := h.m.Observation(r.Context(), v.Component.ID, id, true)
	if err != nil {
		return err
	}
	f := web.NewForm(nil)
	if o.Reply != nil {
		f = web.NewForm(map[string]string{"outcome": o.Reply.Outcome, "body": o.Reply.Body, "office": o.Reply.Office})
	}
	return h.s.RenderForm(w, r, "consultation/reply.html", h.replyPage(r, b, o), f)
}

func (h *handlers) saveReply(w http.ResponseWriter, r *http.Request, v component.View) error {
	f, err := web.ParseForm(r)
	if err != nil {
		return err
	}
	b, uid, err := h.evaluator(r, v)
	if err != nil {
		return err
	}
	id, err := web.PathID(r, "observation")
	if err != nil {
		return err
	}
	in := ReplyInput{Outcome: f.Get("outcome"), Body: f.Raw("body"), Office: f.Get("office")}
	if err := h.m.SaveDraft(r.Context(), uid, v.Component, id, in); err != nil {
		if h.s.Fail(r, f, err) {
			o, oerr := h.m.Observation(r.Context(), v.Component.ID, id, true)
			if oerr != nil {
				return oerr
			}
			return h.s.RenderForm(w, r, "consultation/reply.html", h.replyPage(r, b, o), f)
		}
		return err
	}
	h.s.SetFlash(w, "consultation.flash.draft_saved")
	return web.Redirect(w, r, b.URL+"/evaluate?state="+QueueDrafted)
}
