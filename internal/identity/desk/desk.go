// Package desk serves the pages through which staff at a municipal office
// verify a participant in person: find the account by nickname or email,
// check an identity document, and record it (verification.RecordDesk links
// the legal identity, records a "desk" verification and audits the act in
// one transaction). Platform administrators only, for now.
package desk

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/arengo/arengo/internal/db"
	"github.com/arengo/arengo/internal/identity/verification"
	"github.com/arengo/arengo/internal/kernel"
	"github.com/arengo/arengo/internal/web"
)

//go:embed templates/*.html
var templatesFS embed.FS

// Templates returns the desk pages (namespace "desk").
func Templates() web.TemplateSource {
	sub, _ := fs.Sub(templatesFS, "templates")
	return web.TemplateSource{Namespace: "desk", FS: sub}
}

// Web serves the desk pages.
type Web struct {
	S   *web.Server
	DB  *db.DB
	Svc *verification.Service
}

// Routes registers every route of the package.
func (h *Web) Routes() {
	h.S.Handle("GET /admin/desk", web.RequireAdmin(h.search))
	h.S.Handle("GET /admin/desk/{userID}", web.RequireAdmin(h.person))
	h.S.Handle("POST /admin/desk/{userID}", web.RequireAdmin(h.record))
}

// MaxQueryLen bounds the search text.
const MaxQueryLen = 254

// Match is one account found by the search.
type Match struct {
	ID        int64
	Nickname  string
	Email     string
	Verified  bool // a legal identity is linked
	CreatedAt time.Time
}

type searchData struct {
	Query    string
	Searched bool
	Matches  []Match
}

// likePrefix escapes s for a LIKE pattern matching values that start with it.
func likePrefix(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s) + "%"
}

func (h *Web) search(w http.ResponseWriter, r *http.Request) error {
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	f := web.NewForm(map[string]string{"q": q})
	d := searchData{Query: q}
	switch {
	case q == "" && !r.URL.Query().Has("q"):
	case q == "":
		f.Errors = append(f.Errors, web.FieldMessage{Field: "q", Message: h.S.Catalog().T(web.LocaleFrom(r.Context()), "desk.error.query_required")})
	case utf8.RuneCountInString(q) > MaxQueryLen || !utf8.ValidString(q):
		f.Errors = append(f.Errors, web.FieldMessage{Field: "q", Message: h.S.Catalog().T(web.LocaleFrom(r.Context()), "desk.error.query_too_long", "max", MaxQueryLen)})
	default:
		d.Searched = true
		key := strings.ToLower(q)
		rows, err := h.DB.R().QueryContext(r.Context(), `SELECT u.id, u.nickname, COALESCE(u.email, ''), i.user_id IS NOT NULL, u.created_at
			FROM users u LEFT JOIN user_identities i ON i.user_id = u.id
			WHERE u.deleted_at IS NULL AND (u.email_key = $1 OR u.nickname_key LIKE $2 ESCAPE '\')
			ORDER BY u.nickname_key LIMIT 20`, key, likePrefix(key))
		if err != nil {
			return fmt.Errorf("desk: search: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var m Match
			if err := rows.Scan(&m.ID, &m.Nickname, &m.Email, &m.Verified, &m.CreatedAt); err != nil {
				return fmt.Errorf("desk: search: %w", err)
			}
			d.Matches = append(d.Matches, m)
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("desk: search: %w", err)
		}
	}
	return h.S.RenderForm(w, r, "desk/search.html", d, f)
}

// Person is the account being verified.
type Person struct {
	ID       int64
	Nickname string
	Email    string
	Verified bool
}

type personData struct {
	Person        Person
	Self          bool
	Verifications []verification.Verification
	DocumentTypes []web.Option
}

func (h *Web) loadPerson(r *http.Request) (Person, error) {
	id, err := web.PathID(r, "userID")
	if err != nil {
		return Person{}, err
	}
	p := Person{ID: id}
	err = h.DB.R().QueryRowContext(r.Context(), `SELECT u.nickname, COALESCE(u.email, ''), i.user_id IS NOT NULL
		FROM users u LEFT JOIN user_identities i ON i.user_id = u.id WHERE u.id = $1 AND u.deleted_at IS NULL`, id).
		Scan(&p.Nickname, &p.Email, &p.Verified)
	if err != nil {
		return Person{}, fmt.Errorf("desk: person %d: %w", id, db.Normalize(err))
	}
	return p, nil
}

func (h *Web) renderPerson(w http.ResponseWriter, r *http.Request, p Person, f *web.Form) error {
	vs, err := h.Svc.List(r.Context(), p.ID)
	if err != nil {
		return err
	}
	locale := web.LocaleFrom(r.Context())
	d := personData{Person: p, Self: p.ID == web.ViewerFrom(r.Context()).ID, Verifications: vs}
	d.DocumentTypes = append(d.DocumentTypes, web.Option{Value: "", Label: h.S.Catalog().T(locale, "desk.form.document_type_choose")})
	for _, t := range verification.DocumentTypes {
		d.DocumentTypes = append(d.DocumentTypes, web.Option{Value: t, Label: h.S.Catalog().T(locale, "verification.document."+t)})
	}
	return h.S.RenderForm(w, r, "desk/person.html", d, f)
}

func (h *Web) person(w http.ResponseWriter, r *http.Request) error {
	p, err := h.loadPerson(r)
	if err != nil {
		return err
	}
	return h.renderPerson(w, r, p, web.NewForm(nil))
}

// parseDate reads a date as a date field sends it (2008-11-23) or as people
// type it in Italy (23/11/2008).
func parseDate(s string) (time.Time, bool) {
	for _, layout := range []string{time.DateOnly, "2/1/2006"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

func (h *Web) record(w http.ResponseWriter, r *http.Request) error {
	p, err := h.loadPerson(r)
	if err != nil {
		return err
	}
	f, err := web.ParseForm(r)
	if err != nil {
		return err
	}
	staff := web.ViewerFrom(r.Context()).ID
	birth, dateOK := parseDate(f.Get("birth_date"))
	in := verification.DeskInput{
		FiscalCode: f.Get("fiscal_code"), GivenName: f.Get("given_name"), FamilyName: f.Get("family_name"), BirthDate: birth,
		DocumentType: f.Get("document_type"), DocumentNumber: f.Get("document_number"), Office: f.Get("office"), Notes: f.Get("notes"),
	}
	_, err = h.Svc.RecordDesk(r.Context(), staff, p.ID, in)
	if err != nil {
		if ie, ok := kernel.AsInvalid(err); ok && !dateOK && f.Get("birth_date") != "" {
			// The service saw no date; say what is wrong with the one typed.
			for i := range ie.Fields {
				if ie.Fields[i].Field == "birth_date" {
					ie.Fields[i].Key, ie.Fields[i].Args = "desk.error.birth_date_format", nil
				}
			}
		}
		switch {
		case errors.Is(err, verification.ErrIdentityTaken):
			err = kernel.Invalid("fiscal_code", "desk.error.identity_taken")
		case errors.Is(err, verification.ErrIdentityMismatch):
			err = kernel.Invalid("fiscal_code", "desk.error.identity_mismatch")
		}
		if h.S.Fail(r, f, err) {
			return h.renderPerson(w, r, p, f)
		}
		return err
	}
	flash := "desk.flash.recorded"
	if _, err := h.Svc.Recheck(r.Context(), p.ID); err != nil {
		// The verification stands; residence is checked again at the next login.
		h.S.Log().WarnContext(r.Context(), "desk: census recheck failed", "err", err, "user_id", p.ID)
		flash = "desk.flash.recorded_no_census"
	}
	h.S.SetFlash(w, flash)
	return web.Redirect(w, r, "/admin/desk/"+strconv.FormatInt(p.ID, 10))
}
