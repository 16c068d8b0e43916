package comments_test

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/arengo/arengo/internal/app/apptest"
	"github.com/arengo/arengo/internal/comments"
	"github.com/arengo/arengo/internal/kernel"
)

// testThings is a real commentable type living only in tests: thing N is
// shown at /testthings/N, belongs to process 1, and is closed to comments
// when N is 9. Its page is nothing but the comments section.
type testThings struct{}

func (testThings) CanComment(ctx context.Context, viewerID int64, ref comments.Ref) (bool, string, error) {
	if ref.ID == 9 {
		return false, "comments.closed", nil
	}
	return viewerID != 0, "", nil
}
func (testThings) CanView(ctx context.Context, viewerID int64, ref comments.Ref) (bool, error) {
	return ref.ID < 100, nil
}
func (testThings) URL(ctx context.Context, ref comments.Ref) (string, error) {
	return "/testthings/" + strconv.FormatInt(ref.ID, 10), nil
}
func (testThings) SpaceOf(ctx context.Context, ref comments.Ref) (string, int64, error) {
	return "process", 1, nil
}

// mount registers the test type and its page in a running platform.
func mount(t *testing.T, h *apptest.Harness) {
	t.Helper()
	cw := h.App.Services.CommentsWeb
	if err := h.App.Services.Comments.Register("testthing", testThings{}); err != nil {
		t.Fatal(err)
	}
	h.App.Web.Handle("GET /testthings/{id}", func(w http.ResponseWriter, r *http.Request) error {
		id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
		if err != nil {
			return kernel.ErrNotFound
		}
		section, err := cw.Section(r, comments.Ref{Type: "testthing", ID: id})
		if err != nil {
			return err
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, "<!doctype html><html lang=\"it\"><body><main><h1>Cosa %d</h1>%s</main></body></html>", id, section)
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

var commentLoc = regexp.MustCompile(`^/testthings/(\d+)#comment-(\d+)$`)

var replyLink = regexp.MustCompile(`href="/comments/\d+/reply"`)

// post submits a comment and returns its id, failing unless redirected to it.
func post(t *testing.T, c *apptest.Client, thing int64, parent int64, body string) int64 {
	t.Helper()
	f := form("ref_type", "testthing", "ref_id", strconv.FormatInt(thing, 10), "body", body)
	if parent != 0 {
		f.Set("parent_id", strconv.FormatInt(parent, 10))
	}
	r := c.Post("/comments", f)
	m := commentLoc.FindStringSubmatch(r.Location)
	if r.Status != http.StatusSeeOther || m == nil || m[1] != strconv.FormatInt(thing, 10) {
		t.Fatalf("post %q: %d %q %s", body, r.Status, r.Location, apptest.Text(r.Body))
	}
	id, _ := strconv.ParseInt(m[2], 10, 64)
	return id
}

func TestCommentingThroughHTTP(t *testing.T) {
	h := apptest.New(t)
	mount(t, h)
	anna := h.Participant("anna")
	bob := h.Participant("bob")
	carla := h.Participant("carla")
	anon := h.Client()

	page := anon.Get("/testthings/1")
	if page.Status != 200 || !strings.Contains(page.Body, `href="/login?next=`) || strings.Contains(page.Body, `action="/comments"`) {
		t.Fatalf("anonymous page: %d %s", page.Status, apptest.Text(page.Body))
	}
	if r := anon.Post("/comments", form("ref_type", "testthing", "ref_id", "1", "body", "anonimo")); r.Status != http.StatusUnauthorized {
		t.Fatalf("anonymous post: %d", r.Status)
	}

	// A comment with hostile markup and a mention, in favour.
	r := anna.Post("/comments", form("ref_type", "testthing", "ref_id", "1", "alignment", "favour",
		"body", "<script>alert('x')</script> Ciao @bob, che ne pensi?"))
	m := commentLoc.FindStringSubmatch(r.Location)
	if r.Status != http.StatusSeeOther || m == nil {
		t.Fatalf("post: %d %q", r.Status, r.Location)
	}
	first, _ := strconv.ParseInt(m[2], 10, 64)
	page = anna.Get("/testthings/1")
	if strings.Contains(page.Body, "<script>alert") || !strings.Contains(page.Body, "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;") {
		t.Fatalf("markup not escaped: %s", page.Body)
	}
	if !strings.Contains(page.Body, `<strong class="mention">@bob</strong>`) || !strings.Contains(page.Body, fmt.Sprintf(`id="comment-%d"`, first)) ||
		!strings.Contains(apptest.Text(page.Body), "A favore") || !strings.Contains(apptest.Text(page.Body), "1 commento") {
		t.Fatalf("comment not shown: %s", apptest.Text(page.Body))
	}
	if !strings.Contains(page.Body, `maxlength="1000" data-counter`) {
		t.Fatal("no bounded textarea with counter")
	}
	var stored string
	if err := h.DB.R().QueryRow(`SELECT body FROM comments WHERE id = $1`, first).Scan(&stored); err != nil || stored != "<script>alert('x')</script> Ciao @bob, che ne pensi?" {
		t.Fatalf("stored: %q %v", stored, err)
	}
	// The mention: an in-app notification and an email to bob.
	if n := h.Count(`SELECT COUNT(*) FROM notifications n JOIN users u ON u.id = n.user_id WHERE u.nickname = 'bob' AND n.kind = 'comment.mention'`); n != 1 {
		t.Fatalf("notifications: %d", n)
	}
	subject, body := h.LastMail("bob@prova.it")
	if subject != "anna ti ha citato in un commento" || !strings.Contains(body, fmt.Sprintf("/testthings/1#comment-%d", first)) {
		t.Fatalf("mention mail: %q %q", subject, body)
	}

	// Replies down to depth 3; a fourth level is refused with a message,
	// the text is kept and nothing is stored.
	parent := first
	for i := 1; i <= comments.MaxDepth; i++ {
		parent = post(t, []*apptest.Client{bob, carla, anna}[i-1], 1, parent, fmt.Sprintf("Risposta di livello %d", i))
	}
	// The thread links to a reply page from each comment that can take a
	// reply (not the deepest), instead of carrying a form under each.
	page = bob.Get("/testthings/1")
	if n := len(replyLink.FindAllString(page.Body, -1)); n != comments.MaxDepth || strings.Contains(page.Body, `name="parent_id"`) {
		t.Fatalf("reply links: %d", n)
	}
	if !strings.Contains(page.Body, fmt.Sprintf(`href="/comments/%d/reply" class="btn btn-sm btn-link">Rispondi<span class="visually-hidden"> al commento di anna</span>`, first)) {
		t.Fatalf("reply link without context: %s", page.Body)
	}
	if strings.Contains(page.Body, fmt.Sprintf(`href="/comments/%d/reply"`, parent)) {
		t.Fatal("a reply link under a comment at the deepest level")
	}
	// The reply page shows what one answers, and its form posts a reply.
	r = carla.Get(fmt.Sprintf("/comments/%d/reply", first))
	if r.Status != 200 || !strings.Contains(r.Body, fmt.Sprintf(`name="parent_id" value="%d"`, first)) || !strings.Contains(r.Body, `<label for="f-body"`) ||
		!strings.Contains(apptest.Text(r.Body), "Stai rispondendo a anna") || !strings.Contains(r.Body, "&lt;script&gt;alert") || strings.Contains(r.Body, "<script>alert") {
		t.Fatalf("reply page: %d %s", r.Status, apptest.Text(r.Body))
	}
	if r := anon.Get(fmt.Sprintf("/comments/%d/reply", first)); r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Location, "/login?next=") {
		t.Fatalf("anonymous reply page: %d %q", r.Status, r.Location)
	}
	if r := bob.Get(fmt.Sprintf("/comments/%d/reply", parent)); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "La discussione ha già 3 livelli di risposte") {
		t.Fatalf("reply page at the deepest level: %d %s", r.Status, apptest.Text(r.Body))
	}
	if r := bob.Get("/comments/987654/reply"); r.Status != http.StatusNotFound {
		t.Fatalf("reply page of a missing comment: %d", r.Status)
	}
	count := func() int { return h.Count(`SELECT COUNT(*) FROM comments`) }
	before := count()
	r = bob.Post("/comments", form("ref_type", "testthing", "ref_id", "1", "parent_id", strconv.FormatInt(parent, 10), "body", "Troppo in fondo"))
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "La discussione ha già 3 livelli di risposte") || !strings.Contains(r.Body, "Troppo in fondo") {
		t.Fatalf("too deep: %d %s", r.Status, apptest.Text(r.Body))
	}

	// Bad input: a message, a 422, nothing stored.
	post(t, anna, 2, 0, "Sull'altra cosa")
	before++
	other := int64(0)
	_ = h.DB.R().QueryRow(`SELECT id FROM comments WHERE ref_id = 2`).Scan(&other)
	bad := []struct {
		name string
		form url.Values
		want string
	}{
		{"empty", form("ref_type", "testthing", "ref_id", "1", "body", " \n\t "), "Scrivi il testo del commento"},
		{"too long", form("ref_type", "testthing", "ref_id", "1", "body", strings.Repeat("a", 1001)), "al massimo 1.000 caratteri (ne hai scritti 1.001)"},
		{"alignment", form("ref_type", "testthing", "ref_id", "1", "body", "ok", "alignment", "forse"), "Scegli una posizione tra quelle proposte"},
		{"no parent", form("ref_type", "testthing", "ref_id", "1", "body", "ok", "parent_id", "987654"), "Il commento a cui vuoi rispondere non esiste"},
		{"bad parent", form("ref_type", "testthing", "ref_id", "1", "body", "ok", "parent_id", "abc"), "Il commento a cui vuoi rispondere non esiste"},
		{"other thing", form("ref_type", "testthing", "ref_id", "1", "body", "ok", "parent_id", strconv.FormatInt(other, 10)), "appartiene a un'altra discussione"},
		{"duplicate", form("ref_type", "testthing", "ref_id", "3", "body", "Sull'altra cosa"), "Hai appena pubblicato lo stesso testo"},
		{"closed", form("ref_type", "testthing", "ref_id", "9", "body", "ok"), "I commenti sono chiusi in questa fase"},
	}
	for _, b := range bad {
		r := anna.Post("/comments", b.form)
		if r.Status != http.StatusUnprocessableEntity || !strings.Contains(html.UnescapeString(apptest.Text(r.Body)), b.want) || !strings.Contains(r.Body, `id="error-summary"`) {
			t.Errorf("%s: %d %s", b.name, r.Status, apptest.Text(r.Body))
		}
	}
	if r := anna.Post("/comments", form("ref_type", "nothing", "ref_id", "1", "body", "ok")); r.Status != http.StatusNotFound {
		t.Errorf("unknown type: %d", r.Status)
	}
	if r := anna.Post("/comments", form("ref_type", "testthing", "ref_id", "500", "body", "ok")); r.Status != http.StatusNotFound {
		t.Errorf("invisible thing: %d", r.Status)
	}
	if n := count(); n != before {
		t.Fatalf("bad input stored comments: %d → %d", before, n)
	}
	// The duplicate is accepted a minute later.
	h.Clock.Advance(61 * time.Second)
	post(t, anna, 3, 0, "Sull'altra cosa")

	// Votes: one per person even when the same vote arrives many times at once.
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			carla.Post(fmt.Sprintf("/comments/%d/vote", first), form("value", "up"))
		}()
	}
	wg.Wait()
	if n := h.Count(`SELECT COUNT(*) FROM comment_votes WHERE comment_id = $1`, first); n != 1 {
		t.Fatalf("concurrent votes counted %d times", n)
	}
	if r := bob.Post(fmt.Sprintf("/comments/%d/vote", first), form("value", "down")); r.Status != http.StatusSeeOther {
		t.Fatalf("vote: %d", r.Status)
	}
	page = carla.Get("/testthings/1")
	if !strings.Contains(page.Body, `aria-pressed="true">Approvo (1)`) || !strings.Contains(page.Body, `aria-pressed="false">Non approvo (1)`) {
		t.Fatalf("votes on page: %s", page.Body)
	}
	// Voting one's own comment, or with a made-up value, is refused.
	if r := anna.Post(fmt.Sprintf("/comments/%d/vote", first), form("value", "up")); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "Non puoi votare un tuo commento") {
		t.Fatalf("own vote: %d", r.Status)
	}
	if r := bob.Post(fmt.Sprintf("/comments/%d/vote", first), form("value", "2")); r.Status != http.StatusUnprocessableEntity {
		t.Fatalf("bad vote: %d", r.Status)
	}
	// Changing one's mind replaces the vote.
	carla.Post(fmt.Sprintf("/comments/%d/vote", first), form("value", "down"))
	if n := h.Count(`SELECT COUNT(*) FROM comment_votes WHERE comment_id = $1 AND value = -1`, first); n != 2 {
		t.Fatalf("down votes: %d", n)
	}

	// Sorting: the newest first on request.
	h.Clock.Advance(time.Minute)
	newest := post(t, carla, 1, 0, "Il più recente")
	page = anon.Get("/testthings/1?comments_sort=newest")
	if strings.Index(page.Body, fmt.Sprintf(`id="comment-%d"`, newest)) > strings.Index(page.Body, fmt.Sprintf(`id="comment-%d"`, first)) {
		t.Fatal("newest not first")
	}
	if !strings.Contains(page.Body, `aria-current="true" class="fw-bold">più recenti`) {
		t.Fatal("current order not marked")
	}
}

func TestEditHistoryAndDeleteThroughHTTP(t *testing.T) {
	h := apptest.New(t)
	mount(t, h)
	anna := h.Participant("anna")
	bob := h.Participant("bob")
	id := post(t, anna, 1, 0, "Prima versione")
	reply := post(t, bob, 1, id, "Una risposta")
	edit := fmt.Sprintf("/comments/%d/edit", id)

	if r := bob.Get(edit); r.Status != http.StatusForbidden {
		t.Fatalf("edit form by another: %d", r.Status)
	}
	if r := bob.Post(edit, form("body", "preso!")); r.Status != http.StatusForbidden {
		t.Fatalf("edit by another: %d", r.Status)
	}
	r := anna.Get(edit)
	if r.Status != 200 || !strings.Contains(r.Body, "Prima versione</textarea>") {
		t.Fatalf("edit form: %d %s", r.Status, apptest.Text(r.Body))
	}
	if r := anna.Post(edit, form("body", strings.Repeat("x", 1001))); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "al massimo 1.000 caratteri") {
		t.Fatalf("edit too long: %d", r.Status)
	}
	h.Clock.Advance(5 * time.Minute)
	if r := anna.Post(edit, form("body", "Seconda versione, più chiara", "alignment", "against")); r.Status != http.StatusSeeOther {
		t.Fatalf("edit: %d %s", r.Status, apptest.Text(r.Body))
	}
	page := bob.Get("/testthings/1")
	if !strings.Contains(page.Body, "Seconda versione, più chiara") || !strings.Contains(page.Body, fmt.Sprintf(`href="/comments/%d/history">modificato`, id)) {
		t.Fatalf("edited comment: %s", apptest.Text(page.Body))
	}
	hist := bob.Get(fmt.Sprintf("/comments/%d/history", id))
	text := apptest.Text(hist.Body)
	if hist.Status != 200 || !strings.Contains(text, "Versione 1") || !strings.Contains(text, "Prima versione") || !strings.Contains(text, "Versione 2") || !strings.Contains(text, "Seconda versione") {
		t.Fatalf("history: %d %s", hist.Status, text)
	}

	if r := bob.Post(fmt.Sprintf("/comments/%d/delete", id), nil); r.Status != http.StatusForbidden {
		t.Fatalf("delete by another: %d", r.Status)
	}
	if r := anna.Post(fmt.Sprintf("/comments/%d/delete", id), nil); r.Status != http.StatusSeeOther {
		t.Fatalf("delete: %d", r.Status)
	}
	page = bob.Get("/testthings/1")
	if !strings.Contains(page.Body, "Commento eliminato dall&#39;autore") || strings.Contains(page.Body, "Seconda versione") ||
		!strings.Contains(page.Body, fmt.Sprintf(`id="comment-%d"`, reply)) {
		t.Fatalf("after delete: %s", apptest.Text(page.Body))
	}
	if r := bob.Get(fmt.Sprintf("/comments/%d/history", id)); r.Status != http.StatusNotFound {
		t.Fatalf("history of deleted: %d", r.Status)
	}
	// A deleted account shows as "deleted participant".
	if _, err := h.DB.W().Exec(`UPDATE users SET deleted_at = $1 WHERE nickname = 'bob'`, h.Clock.Now()); err != nil {
		t.Fatal(err)
	}
	if page := h.Client().Get("/testthings/1"); !strings.Contains(page.Body, "partecipante eliminato") {
		t.Fatalf("deleted account: %s", apptest.Text(page.Body))
	}
	// The permalink leads to the comment on its page.
	if r := h.Client().Get(fmt.Sprintf("/comments/%d", reply)); r.Status != http.StatusSeeOther || r.Location != fmt.Sprintf("/testthings/1#comment-%d", reply) {
		t.Fatalf("permalink: %d %q", r.Status, r.Location)
	}
}

// TestThreadPagesThroughHTTP: a long thread comes in pages of PerPage
// top-level comments, each with all its replies, reached through plain
// links; every link to a comment (after posting, voting, the permalink)
// leads to the page holding it.
func TestThreadPagesThroughHTTP(t *testing.T) {
	h := apptest.New(t)
	mount(t, h)
	author := h.CreateUser("autrice@prova.it", "autrice", false)
	reader := h.Participant("lettore")
	anon := h.Client()
	// 65 top-level comments (three pages), the first and the 31st with a reply.
	top := make([]int64, 65)
	at := h.Clock.Now().Add(-time.Hour)
	for i := range top {
		if err := h.DB.W().QueryRow(`INSERT INTO comments (ref_type, ref_id, depth, author_id, alignment, body, mentions, created_at)
			VALUES ('testthing', 1, 0, $1, '', $2, '', $3) RETURNING id`, author.ID, fmt.Sprintf("Commento numero %d.", i+1), at).Scan(&top[i]); err != nil {
			t.Fatal(err)
		}
	}
	reply := func(parent int64, body string) int64 {
		var id int64
		if err := h.DB.W().QueryRow(`INSERT INTO comments (ref_type, ref_id, parent_id, depth, author_id, alignment, body, mentions, created_at)
			VALUES ('testthing', 1, $1, 1, $2, '', $3, '', $4) RETURNING id`, parent, author.ID, body, at).Scan(&id); err != nil {
			t.Fatal(err)
		}
		return id
	}
	firstReply := reply(top[0], "Risposta al primo.")
	laterReply := reply(top[30], "Risposta al trentunesimo.")

	shows := func(body string, ids ...int64) bool {
		for _, id := range ids {
			if !strings.Contains(body, fmt.Sprintf(`id="comment-%d"`, id)) {
				return false
			}
		}
		return true
	}
	p1 := reader.Get("/testthings/1")
	text := html.UnescapeString(apptest.Text(p1.Body))
	if p1.Status != 200 || !shows(p1.Body, top[0], top[29], firstReply) || shows(p1.Body, top[30]) || !strings.Contains(text, "67 commenti") ||
		!strings.Contains(text, "Pagina 1 di 3 della discussione") || strings.Contains(p1.Body, `rel="prev"`) {
		t.Fatalf("page 1: %d %s", p1.Status, text)
	}
	next := regexp.MustCompile(`<a href="([^"]+)" rel="next">([^<]+)</a>`).FindStringSubmatch(p1.Body)
	if next == nil || html.UnescapeString(next[1]) != "/testthings/1?comments_page=2#comments" || next[2] != "Mostra altri commenti (ancora 35, con le loro risposte)" {
		t.Fatalf("link to page 2: %q", next)
	}
	if !strings.Contains(p1.Body, `<nav aria-label="Pagine dei commenti"`) {
		t.Fatal("the page links are not in a labelled navigation")
	}
	// Following the link, as a browser without JavaScript does.
	p2 := reader.Get(strings.TrimSuffix(html.UnescapeString(next[1]), "#comments"))
	if !shows(p2.Body, top[30], top[59], laterReply) || shows(p2.Body, top[29]) || shows(p2.Body, top[60]) ||
		!strings.Contains(p2.Body, `<a href="/testthings/1#comments" rel="prev">Commenti precedenti</a>`) {
		t.Fatalf("page 2: %s", apptest.Text(p2.Body))
	}
	// The last page; a page beyond it, or an absurd number, shows the last.
	for _, q := range []string{"3", "4", "99999999999999999999", "-2"} {
		p := anon.Get("/testthings/1?comments_page=" + q)
		want := q != "-2"
		if p.Status != 200 || shows(p.Body, top[60], top[64]) != want || shows(p.Body, top[0]) == want {
			t.Errorf("comments_page=%s: %d %s", q, p.Status, apptest.Text(p.Body))
		}
	}
	// Another order starts again from its first page and keeps the order
	// in the page links.
	newest := anon.Get("/testthings/1?comments_sort=newest&comments_page=1")
	if !shows(newest.Body, top[64], top[35]) || shows(newest.Body, top[34]) || !strings.Contains(newest.Body, `href="/testthings/1?comments_page=2&amp;comments_sort=newest#comments" rel="next"`) {
		t.Fatalf("newest first: %s", apptest.Text(newest.Body))
	}
	if !strings.Contains(p2.Body, `href="/testthings/1?comments_sort=best#comments"`) {
		t.Fatal("a sort link does not start from the first page")
	}

	// Links to a comment lead to its page: the permalink, after a vote,
	// after a reply.
	onPage2 := fmt.Sprintf("/testthings/1?comments_page=2#comment-%d", laterReply)
	if r := anon.Get(fmt.Sprintf("/comments/%d", laterReply)); r.Status != http.StatusSeeOther || r.Location != onPage2 {
		t.Fatalf("permalink: %d %q", r.Status, r.Location)
	}
	if r := reader.Post(fmt.Sprintf("/comments/%d/vote", laterReply), form("value", "up")); r.Status != http.StatusSeeOther || r.Location != onPage2 {
		t.Fatalf("vote: %d %q", r.Status, r.Location)
	}
	r := reader.Post("/comments", form("ref_type", "testthing", "ref_id", "1", "parent_id", strconv.FormatInt(top[64], 10), "body", "Risposta all'ultimo"))
	if r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Location, "/testthings/1?comments_page=3#comment-") {
		t.Fatalf("reply on page 3: %d %q", r.Status, r.Location)
	}
	if r := reader.Get(fmt.Sprintf("/comments/%d/reply", top[40])); r.Status != 200 || !strings.Contains(r.Body, `href="/testthings/1?comments_page=2#comment-`) {
		t.Fatalf("reply page's way back: %d %s", r.Status, apptest.Text(r.Body))
	}

	// Moderators hid one comment and its author deleted another: neither
	// takes a reply, and the page says why.
	if _, err := h.DB.W().Exec(`INSERT INTO moderation_items (ref_type, ref_id, hidden_at, hidden_reason, created_at, updated_at) VALUES ('comment', $1, $2, 'spam', $2, $2)`,
		top[1], h.Clock.Now()); err != nil {
		t.Fatal(err)
	}
	if _, err := h.DB.W().Exec(`UPDATE comments SET body = '', deleted_at = $1 WHERE id = $2`, h.Clock.Now(), top[2]); err != nil {
		t.Fatal(err)
	}
	p1 = reader.Get("/testthings/1")
	if strings.Contains(p1.Body, fmt.Sprintf(`href="/comments/%d/reply"`, top[1])) || strings.Contains(p1.Body, fmt.Sprintf(`href="/comments/%d/reply"`, top[2])) ||
		strings.Contains(p1.Body, "Commento numero 2.") {
		t.Fatalf("hidden and deleted comments: %s", apptest.Text(p1.Body))
	}
	for id, want := range map[int64]string{top[1]: "nascosto dai moderatori", top[2]: "è stato eliminato"} {
		if r := reader.Get(fmt.Sprintf("/comments/%d/reply", id)); r.Status != http.StatusUnprocessableEntity || !strings.Contains(html.UnescapeString(r.Body), want) ||
			strings.Contains(r.Body, "Commento numero 2.") {
			t.Errorf("reply page of comment %d: %d %s", id, r.Status, apptest.Text(r.Body))
		}
	}
}
