package web

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/arengo/arengo/internal/i18n"
	"github.com/arengo/arengo/internal/kernel"
)

// Form carries what the user typed and the errors to show, so a rejected
// form is re-rendered with every value kept and every problem explained.
type Form struct {
	Values url.Values
	Errors []FieldMessage
	locale string
	cat    *i18n.Catalog
}

// FieldMessage is a translated error for one field.
type FieldMessage struct {
	Field   string
	Message string
}

// ParseForm reads a urlencoded or multipart body. Non-UTF-8 input is an
// invalid-input error rather than mojibake stored in the database.
func ParseForm(r *http.Request) (*Form, error) {
	if err := r.ParseForm(); err != nil {
		var maxErr *http.MaxBytesError
		if errors.As(err, &maxErr) {
			return nil, err
		}
		return nil, kernel.Invalid("", "error.malformed_form")
	}
	return checkedForm(r.PostForm)
}

func checkedForm(values url.Values) (*Form, error) {
	for _, vs := range values {
		for _, v := range vs {
			if !utf8.ValidString(v) {
				return nil, kernel.Invalid("", "error.bad_encoding")
			}
		}
	}
	return &Form{Values: values}, nil
}

// ParseMultipartForm reads a multipart body (a form with a file input),
// holding at most maxMemory bytes of files in memory and the rest in
// temporary files, which the server removes after the request. A
// urlencoded body is read as ParseForm does. Text values get the same
// UTF-8 check; files are read with r.FormFile.
func ParseMultipartForm(r *http.Request, maxMemory int64) (*Form, error) {
	err := r.ParseMultipartForm(maxMemory)
	if errors.Is(err, http.ErrNotMultipart) {
		return ParseForm(r)
	}
	if err != nil {
		var maxErr *http.MaxBytesError
		if errors.As(err, &maxErr) {
			return nil, err
		}
		return nil, kernel.Invalid("", "error.malformed_form")
	}
	return checkedForm(r.PostForm)
}

// NewForm returns a form pre-filled with values (for edit pages).
func NewForm(values map[string]string) *Form {
	v := url.Values{}
	for k, s := range values {
		v.Set(k, s)
	}
	return &Form{Values: v}
}

// Get returns the trimmed value of field.
func (f *Form) Get(field string) string {
	if f == nil || f.Values == nil {
		return ""
	}
	return strings.TrimSpace(f.Values.Get(field))
}

// Raw returns the value of field as typed (passwords, Markdown bodies).
func (f *Form) Raw(field string) string {
	if f == nil || f.Values == nil {
		return ""
	}
	return f.Values.Get(field)
}

// Checked reports whether a checkbox field was ticked.
func (f *Form) Checked(field string) bool {
	v := f.Get(field)
	return v == "on" || v == "1" || v == "true"
}

// Has reports whether field has a value (for checkbox groups: value v).
func (f *Form) HasValue(field, v string) bool {
	if f == nil || f.Values == nil {
		return false
	}
	for _, x := range f.Values[field] {
		if x == v {
			return true
		}
	}
	return false
}

// Fail converts err into field messages in the form's locale and reports
// whether err was an invalid-input error (anything else must be returned).
func (s *Server) Fail(r *http.Request, f *Form, err error) bool {
	ie, ok := kernel.AsInvalid(err)
	if !ok {
		return false
	}
	locale := LocaleFrom(r.Context())
	for _, fe := range ie.Fields {
		f.Errors = append(f.Errors, FieldMessage{Field: fe.Field, Message: s.cat.T(locale, fe.Key, fe.Args...)})
	}
	return true
}

// ErrorFor returns the message for field, or "".
func (f *Form) ErrorFor(field string) string {
	if f == nil {
		return ""
	}
	for _, e := range f.Errors {
		if e.Field == field {
			return e.Message
		}
	}
	return ""
}

// FieldView is what the "field" partial renders: label, input, hint, error.
type FieldView struct {
	ID           string
	Name         string
	Label        string
	Type         string
	Value        string
	Error        string
	Hint         string
	Required     bool
	Autocomplete string
	MaxLength    int
	Rows         int
	Options      []Option
	Multiple     bool
}

// Option is one choice of a select or radio group.
type Option struct {
	Value    string
	Label    string
	Selected bool
}

// Field builds a FieldView for the partials. opts are name/value pairs:
// "type", "hint" (message key), "required", "autocomplete", "maxlength",
// "rows", "options" ([]Option).
func (f *Form) Field(name, labelKey string, opts ...any) FieldView {
	fv := FieldView{ID: "f-" + name, Name: name, Type: "text", Value: f.Raw(name), Error: f.ErrorFor(name)}
	if f.cat != nil {
		fv.Label = f.cat.T(f.locale, labelKey)
	}
	for i := 0; i+1 < len(opts); i += 2 {
		key, _ := opts[i].(string)
		switch key {
		case "type":
			fv.Type, _ = opts[i+1].(string)
		case "hint":
			if k, _ := opts[i+1].(string); k != "" && f.cat != nil {
				fv.Hint = f.cat.T(f.locale, k)
			}
		case "required":
			fv.Required, _ = opts[i+1].(bool)
		case "autocomplete":
			fv.Autocomplete, _ = opts[i+1].(string)
		case "maxlength":
			fv.MaxLength, _ = opts[i+1].(int)
		case "rows":
			fv.Rows, _ = opts[i+1].(int)
		case "options":
			fv.Options, _ = opts[i+1].([]Option)
			for j := range fv.Options {
				fv.Options[j].Selected = f.HasValue(name, fv.Options[j].Value)
			}
		case "value":
			if fv.Value == "" {
				fv.Value, _ = opts[i+1].(string)
			}
		}
	}
	if fv.Type == "password" {
		fv.Value = "" // never echo a password back
	}
	return fv
}
