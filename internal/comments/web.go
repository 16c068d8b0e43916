package comments

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/arengo/arengo/internal/i18n"
	"github.com/arengo/arengo/internal/kernel"
	"github.com/arengo/arengo/internal/moderation"
	"github.com/arengo/arengo/internal/web"
)

//go:embed templates/*.html templates/section/*.tmpl
var templatesFS embed.FS

// Templates returns the comments pages (namespace "comments"): the forms
// shown when JavaScript-free posting needs a page of its own, and histories.
func Templates() web.TemplateSource {
	sub, _ := fs.Sub(templatesFS, "templates")
	return web.TemplateSource{Namespace: "comments", FS: sub}
}

// SortParam is the query parameter choosing the order of a thread, and
// PageParam the one choosing its page.
const (
	SortParam = "comments_sort"
	PageParam = "comments_page"
)

// maxPage bounds the page number read from the URL.
const maxPage = 1_000_000

// Web serves the comment routes and renders the comments section that a
// component's page includes.
type Web struct {
	S       *web.Server
	Svc     *Service
	section *template.Template
	rome    *time.Location
}

// NewWeb parses the section template.
func NewWeb(s *web.Server, svc *Service) (*Web, error) {
	t, err := template.New("section").Funcs(template.FuncMap{
		"item": func(v *sectionView, c *Comment) itemView { return itemView{V: v, C: c} },
	}).ParseFS(templatesFS, "templates/section/*.tmpl")
	if err != nil {
		return nil, fmt.Errorf("comments: parse section: %w", err)
	}
	loc, err := time.LoadLocation("Europe/Rome")
	if err != nil {
		loc = time.FixedZone("CET", 3600)
	}
	return &Web{S: s, Svc: svc, section: t, rome: loc}, nil
}

// Routes registers every comment route.
func (h *Web) Routes() {
	h.S.Handle("POST /comments", h.post)
	h.S.Handle("GET /comments/{id}", h.permalink)
	h.S.Handle("GET /comments/{id}/reply", h.replyForm)
	h.S.Handle("GET /comments/{id}/edit", h.editForm)
	h.S.Handle("POST /comments/{id}/edit", h.edit)
	h.S.Handle("POST /comments/{id}/delete", h.delete)
	h.S.Handle("POST /comments/{id}/vote", h.vote)
	h.S.Handle("GET /comments/{id}/history", h.history)
}

// sectionView is the dot of the section template.
type sectionView struct {
	Thread   *Thread
	Viewer   *web.Viewer
	Locale   string
	Path     string // the page's path and query, for "next" after login
	query    url.Values
	path     string
	cat      *i18n.Catalog
	rome     *time.Location
	Sorts    []string
	Aligns   []string
	LoginURL string
}

type itemView struct {
	V *sectionView
	C *Comment
}

func (v *sectionView) T(key string, args ...any) string { return v.cat.T(v.Locale, key, args...) }
func (v *sectionView) TN(key string, n int, args ...any) string {
	return v.cat.TN(v.Locale, key, n, args...)
}
func (v *sectionView) ISO(t time.Time) string { return t.UTC().Format(time.RFC3339) }
func (v *sectionView) DateTime(t time.Time) string {
	t = t.In(v.rome)
	return fmt.Sprintf("%d %s %d, %s", t.Day(), i18n.MonthName(v.Locale, int(t.Month())), t.Year(), t.Format("15:04"))
}

// Body is the comment's text, escaped, with mentions highlighted.
func (v *sectionView) Body(c *Comment) template.HTML { return renderBody(c.Body, c.Mentions) }

// Placeholder is the text shown instead of a hidden comment.
func (v *sectionView) Placeholder(c *Comment) string {
	return v.T(moderation.PlaceholderKey(c.HiddenReason))
}

// SortURL links to the same page with the thread in order s, from its
// first page.
func (v *sectionView) SortURL(s string) string {
	return v.threadURL(s, 1)
}

// PrevURL links to the previous page of the thread ("" on the first).
func (v *sectionView) PrevURL() string {
	if v.Thread.Page <= 1 {
		return ""
	}
	return v.threadURL(v.Thread.Sort, v.Thread.Page-1)
}

// NextURL links to the next page of the thread ("" on the last).
func (v *sectionView) NextURL() string {
	if v.Thread.Page >= v.Thread.Pages {
		return ""
	}
	return v.threadURL(v.Thread.Sort, v.Thread.Page+1)
}

func (v *sectionView) threadURL(sort string, page int) string {
	q := url.Values{}
	for k, vs := range v.query {
		q[k] = vs
	}
	q.Del(PageParam)
	q.Del(SortParam)
	if sort != SortOldest {
		q.Set(SortParam, sort)
	}
	if page > 1 {
		q.Set(PageParam, strconv.Itoa(page))
	}
	if len(q) == 0 {
		return v.path + "#comments"
	}
	return v.path + "?" + q.Encode() + "#comments"
}

// Remaining is how many top-level comments come after this page.
func (v *sectionView) Remaining() int {
	return max(v.Thread.TopLevel-v.Thread.Page*PerPage, 0)
}

// ReportURL is the report form of a comment.
func (v *sectionView) ReportURL(c *Comment) string {
	return moderation.ReportURL(moderation.Ref{Type: TypeComment, ID: c.ID})
}

// Mine reports whether the viewer wrote c.
func (v *sectionView) Mine(c *Comment) bool { return v.Viewer != nil && c.AuthorID == v.Viewer.ID }

// CanReply reports whether c gets a link to reply to it.
func (v *sectionView) CanReply(c *Comment) bool {
	return v.Thread.CanComment && c.Depth < MaxDepth && !c.Deleted() && !c.Hidden()
}

// CanVote reports whether vote buttons go under c.
func (v *sectionView) CanVote(c *Comment) bool {
	return v.Thread.CanComment && !v.Mine(c) && !c.Deleted() && !c.Hidden()
}

// Section renders the comments of ref for the request's viewer, as HTML a
// component's page template includes with {{.Data.Comments}}: one page of
// the thread, in the order and at the page the "comments_sort" and
// "comments_page" query parameters ask for (oldest first, page 1 by
// default), with links to the other pages that work without JavaScript.
func (h *Web) Section(r *http.Request, ref Ref) (template.HTML, error) {
	viewer := web.ViewerFrom(r.Context())
	var uid int64
	if viewer != nil {
		uid = viewer.ID
	}
	page, _ := strconv.Atoi(r.URL.Query().Get(PageParam))
	t, err := h.Svc.ThreadPage(r.Context(), uid, ref, r.URL.Query().Get(SortParam), min(max(page, 1), maxPage))
	if err != nil {
		return "", err
	}
	v := &sectionView{Thread: t, Viewer: viewer, Locale: web.LocaleFrom(r.Context()), Path: r.URL.RequestURI(), query: r.URL.Query(),
		path: r.URL.Path, cat: h.S.Catalog(), rome: h.rome, Sorts: Sorts(), Aligns: []string{AlignNone, AlignFavour, AlignNeutral, AlignAgainst},
		LoginURL: "/login?next=" + url.QueryEscape(r.URL.RequestURI()+"#comments")}
	var buf bytes.Buffer
	if err := h.section.ExecuteTemplate(&buf, "comments-section", v); err != nil {
		return "", fmt.Errorf("comments: render section: %w", err)
	}
	return template.HTML(buf.String()), nil
}

// formPage is what form.html shows: a new comment, a reply or an edit that
// needs its own page (errors to fix, or editing without JavaScript).
type formPage struct {
	Mode         string // "new", "reply", "edit"
	Action       string
	Ref          Ref
	ParentID     int64
	Parent       *Comment
	ParentAuthor string // the parent's author as shown ("deleted participant" for a deleted account)
	BackURL      string
	Max          int
	Alignment    []web.Option
}

// withParent shows parent above a reply form.
func (h *Web) withParent(r *http.Request, page formPage, parent *Comment) formPage {
	page.Mode, page.ParentID, page.Parent, page.ParentAuthor = "reply", parent.ID, parent, parent.AuthorNickname
	if parent.AuthorDeleted {
		page.ParentAuthor = h.S.Catalog().T(web.LocaleFrom(r.Context()), "comments.author.deleted")
	}
	return page
}

func (h *Web) alignmentOptions(r *http.Request) []web.Option {
	loc := web.LocaleFrom(r.Context())
	cat := h.S.Catalog()
	var out []web.Option
	for _, a := range []string{AlignNone, AlignFavour, AlignNeutral, AlignAgainst} {
		key := "comments.alignment.none"
		if a != "" {
			key = "comments.alignment." + a
		}
		out = append(out, web.Option{Value: a, Label: cat.T(loc, key)})
	}
	return out
}

func (h *Web) post(w http.ResponseWriter, r *http.Request) error {
	f, err := web.ParseForm(r)
	if err != nil {
		return err
	}
	uid, err := web.ViewerID(r)
	if err != nil {
		return err
	}
	refID, err := strconv.ParseInt(f.Get("ref_id"), 10, 64)
	if err != nil || refID <= 0 {
		return kernel.ErrNotFound
	}
	ref := Ref{Type: f.Get("ref_type"), ID: refID}
	in := NewComment{Ref: ref, Body: f.Raw("body"), Alignment: f.Get("alignment")}
	if p := f.Get("parent_id"); p != "" {
		if in.ParentID, err = strconv.ParseInt(p, 10, 64); err != nil || in.ParentID <= 0 {
			in.ParentID = -1 // no such comment: reported as a missing parent
		}
	}
	c, err := h.Svc.Post(r.Context(), uid, in)
	if err != nil {
		if !h.S.Fail(r, f, err) {
			return err
		}
		back, uerr := h.Svc.ThingURL(r.Context(), ref)
		if uerr != nil {
			return uerr
		}
		page := formPage{Mode: "new", Action: "/comments", Ref: ref, BackURL: back + "#comments", Max: h.Svc.opt.MaxLength, Alignment: h.alignmentOptions(r)}
		if in.ParentID != 0 {
			page.Mode, page.ParentID = "reply", in.ParentID
			if parent, perr := h.Svc.Replyable(r.Context(), uid, in.ParentID); perr == nil && parent.Ref == ref {
				page = h.withParent(r, page, parent)
				if u, uerr := h.Svc.URL(r.Context(), parent); uerr == nil {
					page.BackURL = u
				}
			}
		}
		return h.S.RenderForm(w, r, "comments/form.html", page, f)
	}
	u, err := h.Svc.URL(r.Context(), c)
	if err != nil {
		return err
	}
	h.S.SetFlash(w, "comments.flash.posted")
	return web.Redirect(w, r, u)
}

// replyForm is the page of the form replying to a comment: the thread
// links to it rather than carrying a form under every comment.
func (h *Web) replyForm(w http.ResponseWriter, r *http.Request) error {
	uid, err := web.ViewerID(r)
	if err != nil {
		return err
	}
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	parent, err := h.Svc.Replyable(r.Context(), uid, id)
	if err != nil {
		return h.refused(w, r, id, err)
	}
	back, err := h.Svc.URL(r.Context(), parent)
	if err != nil {
		return err
	}
	page := h.withParent(r, formPage{Action: "/comments", Ref: parent.Ref, BackURL: back, Max: h.Svc.opt.MaxLength, Alignment: h.alignmentOptions(r)}, parent)
	return h.S.RenderForm(w, r, "comments/form.html", page, web.NewForm(nil))
}

func (h *Web) permalink(w http.ResponseWriter, r *http.Request) error {
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	c, err := h.Svc.Get(r.Context(), id)
	if err != nil {
		return err
	}
	var uid int64
	if v := web.ViewerFrom(r.Context()); v != nil {
		uid = v.ID
	}
	if _, err := h.Svc.visible(r.Context(), uid, c.Ref); err != nil {
		return err
	}
	u, err := h.Svc.URL(r.Context(), c)
	if err != nil {
		return err
	}
	http.Redirect(w, r, web.SafeNext(u, "/"), http.StatusSeeOther)
	return nil
}

// ownComment loads the viewer's own, live comment for editing.
func (h *Web) ownComment(r *http.Request) (*Comment, int64, error) {
	uid, err := web.ViewerID(r)
	if err != nil {
		return nil, 0, err
	}
	id, err := web.PathID(r, "id")
	if err != nil {
		return nil, 0, err
	}
	c, err := h.Svc.Get(r.Context(), id)
	if err != nil {
		return nil, 0, err
	}
	if c.AuthorID != uid {
		return nil, 0, kernel.ErrForbidden
	}
	if c.Deleted() {
		return nil, 0, kernel.ErrNotFound
	}
	return c, uid, nil
}

func (h *Web) editPage(r *http.Request, c *Comment) (formPage, error) {
	back, err := h.Svc.URL(r.Context(), c)
	if err != nil {
		return formPage{}, err
	}
	return formPage{Mode: "edit", Action: "/comments/" + strconv.FormatInt(c.ID, 10) + "/edit", Ref: c.Ref, BackURL: back,
		Max: h.Svc.opt.MaxLength, Alignment: h.alignmentOptions(r)}, nil
}

func (h *Web) editForm(w http.ResponseWriter, r *http.Request) error {
	c, _, err := h.ownComment(r)
	if err != nil {
		return err
	}
	page, err := h.editPage(r, c)
	if err != nil {
		return err
	}
	return h.S.RenderForm(w, r, "comments/form.html", page, web.NewForm(map[string]string{"body": c.Body, "alignment": c.Alignment}))
}

func (h *Web) edit(w http.ResponseWriter, r *http.Request) error {
	f, err := web.ParseForm(r)
	if err != nil {
		return err
	}
	c, uid, err := h.ownComment(r)
	if err != nil {
		return err
	}
	if _, err := h.Svc.Edit(r.Context(), uid, c.ID, f.Raw("body"), f.Get("alignment")); err != nil {
		if !h.S.Fail(r, f, err) {
			return err
		}
		page, perr := h.editPage(r, c)
		if perr != nil {
			return perr
		}
		return h.S.RenderForm(w, r, "comments/form.html", page, f)
	}
	u, err := h.Svc.URL(r.Context(), c)
	if err != nil {
		return err
	}
	h.S.SetFlash(w, "comments.flash.edited")
	return web.Redirect(w, r, u)
}

func (h *Web) delete(w http.ResponseWriter, r *http.Request) error {
	if _, err := web.ParseForm(r); err != nil {
		return err
	}
	uid, err := web.ViewerID(r)
	if err != nil {
		return err
	}
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	c, err := h.Svc.Delete(r.Context(), uid, id)
	if err != nil {
		return err
	}
	u, err := h.Svc.URL(r.Context(), c)
	if err != nil {
		return err
	}
	h.S.SetFlash(w, "comments.flash.deleted")
	return web.Redirect(w, r, u)
}

// refusedPage explains why an action without a form of its own (a vote,
// opening the reply form) was refused.
type refusedPage struct {
	Messages []string
	BackURL  string
}

// refused renders the reasons of an invalid-input error about comment id
// with status 422, or returns err when it is another error.
func (h *Web) refused(w http.ResponseWriter, r *http.Request, id int64, err error) error {
	ie, ok := kernel.AsInvalid(err)
	if !ok {
		return err
	}
	page := refusedPage{BackURL: "/"}
	if c, gerr := h.Svc.Get(r.Context(), id); gerr == nil {
		if u, uerr := h.Svc.URL(r.Context(), c); uerr == nil {
			page.BackURL = u
		}
	}
	loc := web.LocaleFrom(r.Context())
	for _, fe := range ie.Fields {
		page.Messages = append(page.Messages, h.S.Catalog().T(loc, fe.Key, fe.Args...))
	}
	return h.S.RenderStatus(w, r, http.StatusUnprocessableEntity, "comments/refused.html", page)
}

func (h *Web) vote(w http.ResponseWriter, r *http.Request) error {
	f, err := web.ParseForm(r)
	if err != nil {
		return err
	}
	uid, err := web.ViewerID(r)
	if err != nil {
		return err
	}
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	value := 2 // invalid unless recognised
	switch f.Get("value") {
	case "up":
		value = 1
	case "down":
		value = -1
	case "none":
		value = 0
	}
	c, err := h.Svc.Vote(r.Context(), uid, id, value)
	if err != nil {
		return h.refused(w, r, id, err)
	}
	u, err := h.Svc.URL(r.Context(), c)
	if err != nil {
		return err
	}
	h.S.SetFlash(w, "comments.flash.voted")
	return web.Redirect(w, r, u)
}

// historyPage is what history.html shows.
type historyPage struct {
	*History
}

// BodyHTML renders a version's text like the thread does.
func (p historyPage) BodyHTML(v Version) template.HTML { return renderBody(v.Body, p.Comment.Mentions) }

func (h *Web) history(w http.ResponseWriter, r *http.Request) error {
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	var uid int64
	if v := web.ViewerFrom(r.Context()); v != nil {
		uid = v.ID
	}
	hist, err := h.Svc.History(r.Context(), uid, id)
	if err != nil {
		return err
	}
	return h.S.Render(w, r, "comments/history.html", historyPage{History: hist})
}
