// Package gdpr gives participants a copy of everything the platform keeps
// about them (GDPR articles 15 and 20): a zip with one JSON and one CSV file
// per kind of data, streamed as it is written. Modules add their part by
// registering a Contributor; the account, sessions, notifications, space
// roles and audit entries are built in, and so (see Core) are comments and
// moderation reports.
package gdpr

import (
	"archive/zip"
	"context"
	"encoding/base64"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/arengo/arengo/internal/csvsafe"
	"github.com/arengo/arengo/internal/db"
	"github.com/arengo/arengo/internal/i18n"
	"github.com/arengo/arengo/internal/kernel"
)

// Contributor adds a module's data about a person to the export. Export
// must write only data about e.UserID (and nothing that would tell them
// about another participant beyond what the platform shows publicly).
type Contributor interface {
	// Name identifies the contributor ("comments"); registering another
	// contributor with the same name replaces it.
	Name() string
	Export(ctx context.Context, e *Export) error
}

// Func is a Contributor made of a name and a function.
type Func struct {
	N string
	F func(ctx context.Context, e *Export) error
}

// Name implements Contributor.
func (f Func) Name() string { return f.N }

// Export implements Contributor.
func (f Func) Export(ctx context.Context, e *Export) error { return f.F(ctx, e) }

// Export is an archive being written for one person.
type Export struct {
	UserID int64
	DB     *db.DB
	z      *zip.Writer
	now    time.Time
	files  []string
}

// Files lists the files written so far.
func (e *Export) Files() []string { return e.files }

func (e *Export) create(name string) (io.Writer, error) {
	w, err := e.z.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate, Modified: e.now})
	if err != nil {
		return nil, fmt.Errorf("gdpr: %s: %w", name, err)
	}
	e.files = append(e.files, name)
	return w, nil
}

// JSON writes v as name.json, indented.
func (e *Export) JSON(name string, v any) error {
	w, err := e.create(name + ".json")
	if err != nil {
		return err
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("gdpr: %s.json: %w", name, err)
	}
	return nil
}

// Table writes rows as name.json (an array of objects keyed by column)
// and name.csv (a header line, then one line per row). Values are
// rendered by Value.
func (e *Export) Table(name string, columns []string, rows [][]any) error {
	objs := make([]map[string]any, 0, len(rows))
	for _, r := range rows {
		o := make(map[string]any, len(columns))
		for i, c := range columns {
			o[c] = Value(r[i])
		}
		objs = append(objs, o)
	}
	if err := e.JSON(name, objs); err != nil {
		return err
	}
	w, err := e.create(name + ".csv")
	if err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	if err := cw.Write(columns); err != nil {
		return fmt.Errorf("gdpr: %s.csv: %w", name, err)
	}
	line := make([]string, len(columns))
	for _, r := range rows {
		for i := range columns {
			line[i] = cell(Value(r[i]))
		}
		if err := cw.Write(line); err != nil {
			return fmt.Errorf("gdpr: %s.csv: %w", name, err)
		}
	}
	cw.Flush()
	return cw.Error()
}

// Query runs query (args numbered $1…) on the reader pool and writes its
// result with Table under name, the column names as the query gives them.
func (e *Export) Query(ctx context.Context, name, query string, args ...any) error {
	rows, err := e.DB.R().QueryContext(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("gdpr: %s: %w", name, err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return fmt.Errorf("gdpr: %s: %w", name, err)
	}
	var out [][]any
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return fmt.Errorf("gdpr: %s: %w", name, err)
		}
		out = append(out, vals)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("gdpr: %s: %w", name, err)
	}
	return e.Table(name, cols, out)
}

// TableExists reports whether the database has table: modules that may be
// absent from a deployment (or not migrated yet) are exported only when
// their tables exist.
func (e *Export) TableExists(ctx context.Context, table string) (bool, error) {
	q := `SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = $1`
	if e.DB.Engine == db.Postgres {
		q = `SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = $1`
	}
	var n int
	if err := e.DB.R().QueryRowContext(ctx, q, table).Scan(&n); err != nil {
		return false, fmt.Errorf("gdpr: table %s: %w", table, err)
	}
	return n > 0, nil
}

// Value makes a database value readable in JSON: times in UTC RFC 3339,
// bytes as text (or base64 when they are not text), booleans stored as
// integers left as they are.
func Value(v any) any {
	switch x := v.(type) {
	case nil:
		return nil
	case time.Time:
		return x.UTC().Format(time.RFC3339)
	case []byte:
		if utf8.Valid(x) {
			return string(x)
		}
		return base64.StdEncoding.EncodeToString(x)
	case kernel.Text:
		return map[string]string(x)
	}
	return v
}

func cell(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return csvsafe.Cell(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case bool:
		return strconv.FormatBool(x)
	case map[string]string:
		b, _ := json.Marshal(x)
		return string(b)
	}
	return fmt.Sprint(v)
}

// Service builds exports.
type Service struct {
	db    *db.DB
	clock kernel.Clock
	cat   *i18n.Catalog
	org   string
	list  []Contributor
}

// NewService returns the service with the built-in contributors (Core).
func NewService(d *db.DB, clock kernel.Clock, cat *i18n.Catalog, orgName string) *Service {
	s := &Service{db: d, clock: clock, cat: cat, org: orgName}
	for _, c := range Core() {
		s.Register(c)
	}
	return s
}

// Register adds c, replacing a contributor of the same name. Call it while
// wiring, before serving.
func (s *Service) Register(c Contributor) {
	for i, x := range s.list {
		if x.Name() == c.Name() {
			s.list[i] = c
			return
		}
	}
	s.list = append(s.list, c)
}

// Contributors lists the registered contributors' names in export order.
func (s *Service) Contributors() []string {
	out := make([]string, len(s.list))
	for i, c := range s.list {
		out[i] = c.Name()
	}
	return out
}

// Write streams userID's archive to w, with a README in locale first. An
// error may leave w with a partial archive: callers that stream to a
// browser can only log it.
func (s *Service) Write(ctx context.Context, w io.Writer, userID int64, locale string) error {
	now := s.clock.Now()
	z := zip.NewWriter(w)
	e := &Export{UserID: userID, DB: s.db, z: z, now: now}
	rw, err := e.create(s.cat.T(locale, "gdpr.readme.file"))
	if err != nil {
		return err
	}
	readme := s.cat.T(locale, "gdpr.readme.body", "org", s.org, "date", now.UTC().Format(time.DateOnly))
	if _, err := io.WriteString(rw, strings.ReplaceAll(readme, "\n", "\r\n")+"\r\n"); err != nil {
		return fmt.Errorf("gdpr: readme: %w", err)
	}
	for _, c := range s.list {
		if err := c.Export(ctx, e); err != nil {
			return fmt.Errorf("gdpr: %s: %w", c.Name(), err)
		}
	}
	if err := z.Close(); err != nil {
		return fmt.Errorf("gdpr: close archive: %w", err)
	}
	return nil
}
