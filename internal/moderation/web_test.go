package moderation_test

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/arengo/arengo/internal/app/apptest"
	"github.com/arengo/arengo/internal/comments"
	"github.com/arengo/arengo/internal/kernel"
)

// discussions is a real commentable type living only in tests: discussion N
// is at /discussions/N and belongs to process N.
type discussions struct{}

func (discussions) CanComment(ctx context.Context, viewerID int64, ref comments.Ref) (bool, string, error) {
	return viewerID != 0, "", nil
}
func (discussions) CanView(ctx context.Context, viewerID int64, ref comments.Ref) (bool, error) {
	return true, nil
}
func (discussions) URL(ctx context.Context, ref comments.Ref) (string, error) {
	return "/discussions/" + strconv.FormatInt(ref.ID, 10), nil
}
func (discussions) SpaceOf(ctx context.Context, ref comments.Ref) (string, int64, error) {
	return "process", ref.ID, nil
}

func mount(t *testing.T, h *apptest.Harness) {
	t.Helper()
	if err := h.App.Services.Comments.Register("discussion", discussions{}); err != nil {
		t.Fatal(err)
	}
	cw := h.App.Services.CommentsWeb
	h.App.Web.Handle("GET /discussions/{id}", func(w http.ResponseWriter, r *http.Request) error {
		id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
		if err != nil {
			return kernel.ErrNotFound
		}
		section, err := cw.Section(r, comments.Ref{Type: "discussion", ID: id})
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "<!doctype html><main><h1>Discussione</h1>%s</main>", section)
		return nil
	})
}

func form(kv ...string) url.Values {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Set(kv[i], kv[i+1])
	}
	return v
}

var commentID = regexp.MustCompile(`#comment-(\d+)$`)

func comment(t *testing.T, c *apptest.Client, discussion int, body string) string {
	t.Helper()
	r := c.Post("/comments", form("ref_type", "discussion", "ref_id", strconv.Itoa(discussion), "body", body))
	m := commentID.FindStringSubmatch(r.Location)
	if r.Status != http.StatusSeeOther || m == nil {
		t.Fatalf("comment: %d %q", r.Status, r.Location)
	}
	return m[1]
}

func text(r *apptest.Response) string { return html.UnescapeString(apptest.Text(r.Body)) }

func TestReportHideAndModerateThroughHTTP(t *testing.T) {
	h := apptest.New(t)
	mount(t, h)
	author := h.CreateUser("autore@prova.it", "autore", false)
	authorC := h.Client().LoginAs(author)
	id := comment(t, authorC, 1, "Compra follower a poco prezzo!")
	other := comment(t, authorC, 1, "Un commento innocuo")
	ref := "/moderation/report?type=comment&id=" + id

	if r := h.Client().Get(ref); r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Location, "/login") {
		t.Fatalf("anonymous report form: %d %q", r.Status, r.Location)
	}
	if r := authorC.Post("/moderation/report", form("type", "comment", "id", id, "reason", "spam")); r.Status != http.StatusUnprocessableEntity || !strings.Contains(text(r), "Non puoi segnalare un tuo contenuto") {
		t.Fatalf("own report: %d", r.Status)
	}

	readers := []*apptest.Client{h.Participant("lettore1"), h.Participant("lettore2"), h.Participant("lettore3")}
	r := readers[0].Get(ref)
	if r.Status != 200 || !strings.Contains(r.Body, "Compra follower a poco prezzo!") || !strings.Contains(r.Body, `name="reason" id="f-reason-spam"`) {
		t.Fatalf("report form: %d %s", r.Status, apptest.Text(r.Body))
	}
	// Bad reports: a message, a 422, the details kept, nothing stored.
	for _, b := range []struct {
		form url.Values
		want string
	}{
		{form("type", "comment", "id", id), "Scegli un motivo tra quelli proposti"},
		{form("type", "comment", "id", id, "reason", "noia"), "Scegli un motivo tra quelli proposti"},
		{form("type", "comment", "id", id, "reason", "other", "details", "  "), "Spiega il motivo della segnalazione"},
		{form("type", "comment", "id", id, "reason", "spam", "details", "<i>"+strings.Repeat("d", 1001)), "I dettagli possono avere al massimo 1.000 caratteri"},
	} {
		r := readers[0].Post("/moderation/report", b.form)
		if r.Status != http.StatusUnprocessableEntity || !strings.Contains(text(r), b.want) {
			t.Errorf("%v: %d %s", b.form, r.Status, text(r))
		}
	}
	if r := readers[0].Post("/moderation/report", form("type", "comment", "id", "999999", "reason", "spam")); r.Status != http.StatusNotFound {
		t.Fatalf("report of missing comment: %d", r.Status)
	}
	if n := h.Count(`SELECT COUNT(*) FROM moderation_reports`); n != 0 {
		t.Fatalf("bad reports stored: %d", n)
	}

	for i, c := range readers {
		r := c.Post("/moderation/report", form("type", "comment", "id", id, "reason", "spam", "details", "Pubblicità <b>ripetuta</b>"))
		if r.Status != http.StatusSeeOther || r.Location != "/discussions/1#comment-"+id {
			t.Fatalf("report %d: %d %q %s", i, r.Status, r.Location, text(r))
		}
		page := h.Client().Get("/discussions/1")
		hidden := strings.Contains(page.Body, "Contenuto nascosto dai moderatori: spam")
		if hidden != (i == 2) || strings.Contains(page.Body, "Compra follower") == hidden {
			t.Fatalf("after %d reports: hidden=%v %s", i+1, hidden, apptest.Text(page.Body))
		}
	}
	if r := readers[0].Post("/moderation/report", form("type", "comment", "id", id, "reason", "offensive")); r.Status != http.StatusUnprocessableEntity || !strings.Contains(text(r), "Hai già segnalato questo contenuto") {
		t.Fatalf("second report: %d", r.Status)
	}
	if n := h.Count(`SELECT COUNT(*) FROM moderation_reports`); n != 3 {
		t.Fatalf("reports stored: %d", n)
	}

	// The queue: 403 for participants, the space's moderators see it.
	if r := readers[0].Get("/moderation"); r.Status != http.StatusForbidden {
		t.Fatalf("queue for a participant: %d", r.Status)
	}
	modUser := h.CreateUser("moderatrice@prova.it", "moderatrice", false)
	if _, err := h.DB.W().Exec(`INSERT INTO space_roles (space_type, space_id, user_id, role, created_at) VALUES ('process', 1, $1, 'moderator', $2)`, modUser.ID, h.Clock.Now()); err != nil {
		t.Fatal(err)
	}
	otherMod := h.CreateUser("altromod@prova.it", "altro_mod", false)
	if _, err := h.DB.W().Exec(`INSERT INTO space_roles (space_type, space_id, user_id, role, created_at) VALUES ('process', 2, $1, 'moderator', $2)`, otherMod.ID, h.Clock.Now()); err != nil {
		t.Fatal(err)
	}
	mod := h.Client().LoginAs(modUser)
	outsider := h.Client().LoginAs(otherMod)
	q := mod.Get("/moderation")
	qt := text(q)
	if q.Status != 200 || !strings.Contains(qt, "Compra follower a poco prezzo!") || !strings.Contains(qt, "spam: 3") || !strings.Contains(qt, "Pubblicità <b>ripetuta</b>") || !strings.Contains(qt, "Nascosto (spam)") {
		t.Fatalf("queue: %d %s", q.Status, qt)
	}
	if strings.Contains(q.Body, "<b>ripetuta</b>") {
		t.Fatal("report details not escaped")
	}
	if q := outsider.Get("/moderation"); q.Status != 200 || strings.Contains(q.Body, "Compra follower") {
		t.Fatalf("another space's moderator sees the item: %d", q.Status)
	}
	if q := outsider.Get("/moderation/spaces/process/1"); q.Status != http.StatusForbidden {
		t.Fatalf("another space's queue: %d", q.Status)
	}
	if q := mod.Get("/moderation/spaces/process/1"); q.Status != 200 || !strings.Contains(q.Body, "Compra follower") {
		t.Fatalf("space queue: %d", q.Status)
	}
	var item string
	if err := h.DB.R().QueryRow(`SELECT id FROM moderation_items WHERE ref_type = 'comment' AND ref_id = $1`, id).Scan(&item); err != nil {
		t.Fatal(err)
	}
	action := func(c *apptest.Client, name string, f url.Values) *apptest.Response {
		return c.Post("/moderation/items/"+item+"/"+name, f)
	}
	if r := action(outsider, "restore", nil); r.Status != http.StatusForbidden {
		t.Fatalf("restore by another space's moderator: %d", r.Status)
	}
	if r := action(readers[0], "hide", form("hidden_reason", "spam")); r.Status != http.StatusForbidden {
		t.Fatalf("hide by a participant: %d", r.Status)
	}
	if r := action(mod, "restore", form("next", "/moderation?state=hidden")); r.Status != http.StatusSeeOther || r.Location != "/moderation?state=hidden" {
		t.Fatalf("restore: %d %q", r.Status, r.Location)
	}
	if page := h.Client().Get("/discussions/1"); !strings.Contains(page.Body, "Compra follower") {
		t.Fatal("restored comment not shown")
	}
	if r := action(mod, "hide", form("hidden_reason", "offensive")); r.Status != http.StatusSeeOther {
		t.Fatalf("hide: %d", r.Status)
	}
	if page := h.Client().Get("/discussions/1"); !strings.Contains(page.Body, "Contenuto nascosto dai moderatori: contenuto offensivo") || !strings.Contains(page.Body, "Un commento innocuo") {
		t.Fatalf("hidden by moderator: %s", apptest.Text(page.Body))
	}
	if r := action(mod, "hide", form("hidden_reason", "<script>")); r.Status != http.StatusUnprocessableEntity || !strings.Contains(text(r), "Scegli un motivo tra quelli proposti") {
		t.Fatalf("bad hide reason: %d", r.Status)
	}
	for _, a := range []string{"moderation.report", "moderation.auto_hide", "moderation.restore", "moderation.hide"} {
		if n := h.Count(`SELECT COUNT(*) FROM audit_log WHERE action = $1 AND target_type = 'comment' AND target_id = $2`, a, id); n == 0 {
			t.Errorf("%s not audited", a)
		}
	}
	if n := h.Count(`SELECT COUNT(*) FROM audit_log WHERE action = 'moderation.hide' AND actor_id = $1`, modUser.ID); n != 1 {
		t.Fatalf("hide audited with actor: %d", n)
	}

	// Dismiss: reports on the other comment are judged unfounded.
	readers[1].Post("/moderation/report", form("type", "comment", "id", other, "reason", "off_topic"))
	var otherItem string
	_ = h.DB.R().QueryRow(`SELECT id FROM moderation_items WHERE ref_type = 'comment' AND ref_id = $1`, other).Scan(&otherItem)
	if r := mod.Post("/moderation/items/"+otherItem+"/dismiss", nil); r.Status != http.StatusSeeOther {
		t.Fatalf("dismiss: %d", r.Status)
	}
	if q := mod.Get("/moderation"); strings.Contains(q.Body, "Un commento innocuo") || strings.Contains(q.Body, "Compra follower") {
		t.Fatal("resolved items still in the open queue")
	}
	if q := mod.Get("/moderation?state=resolved"); !strings.Contains(q.Body, "Un commento innocuo") || !strings.Contains(q.Body, "Segnalazioni archiviate") {
		t.Fatalf("resolved queue: %s", apptest.Text(q.Body))
	}

	// Blocking: a reason is required; then the author is signed out, cannot
	// sign in, gets an email with the reason, and their comments are hidden.
	if r := mod.Get("/moderation/items/" + item); r.Status != 200 || !strings.Contains(r.Body, `name="block_reason"`) {
		t.Fatalf("item page: %d", r.Status)
	}
	if r := action(mod, "block", form("block_reason", "   ")); r.Status != http.StatusUnprocessableEntity || !strings.Contains(text(r), "Scrivi il motivo del blocco") {
		t.Fatalf("block without reason: %d %s", r.Status, text(r))
	}
	if r := action(mod, "block", form("block_reason", "Spam ripetuto nonostante gli avvisi")); r.Status != http.StatusSeeOther {
		t.Fatalf("block: %d %s", r.Status, text(r))
	}
	if r := authorC.Get("/account"); r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Location, "/login") {
		t.Fatalf("blocked author's session still works: %d %q", r.Status, r.Location)
	}
	if r := authorC.Post("/comments", form("ref_type", "discussion", "ref_id", "1", "body", "sono ancora qui")); r.Status != http.StatusUnauthorized {
		t.Fatalf("blocked author posts: %d", r.Status)
	}
	login := h.Client().Post("/login", form("email", "autore@prova.it", "password", "correct-horse-battery"))
	if login.Status == http.StatusSeeOther || h.Count(`SELECT COUNT(*) FROM sessions WHERE user_id = $1`, author.ID) != 0 {
		t.Fatalf("blocked author signed in: %d %q", login.Status, login.Location)
	}
	subject, body := h.LastMail("autore@prova.it")
	if !strings.Contains(subject, "bloccato") || !strings.Contains(body, "Motivo: Spam ripetuto nonostante gli avvisi") {
		t.Fatalf("block mail: %q %q", subject, body)
	}
	if page := h.Client().Get("/discussions/1"); strings.Contains(page.Body, "Un commento innocuo") || !strings.Contains(page.Body, "Contenuto nascosto dai moderatori: partecipante bloccato") {
		t.Fatalf("blocked author's comments: %s", apptest.Text(page.Body))
	}
	if n := h.Count(`SELECT COUNT(*) FROM audit_log WHERE action = 'moderation.block' AND target_type = 'user' AND target_id = $1 AND actor_id = $2`, author.ID, modUser.ID); n != 1 {
		t.Fatalf("block audited: %d", n)
	}
	if r := action(mod, "unblock", nil); r.Status != http.StatusSeeOther {
		t.Fatalf("unblock: %d", r.Status)
	}
	if page := h.Client().Get("/discussions/1"); !strings.Contains(page.Body, "Un commento innocuo") {
		t.Fatal("unblocked author's comments still hidden")
	}
}
