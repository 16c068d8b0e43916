package census

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/arengo/arengo/internal/audit"
	"github.com/arengo/arengo/internal/db"
	"github.com/arengo/arengo/internal/identity/codicefiscale"
	"github.com/arengo/arengo/internal/kernel"
	"github.com/arengo/arengo/internal/secure"
)

// HashPurpose is the keyed-hash domain of codici fiscali in the census
// tables (and in user_identities, so the two can be compared).
const HashPurpose = "fiscal_code"

// Store keeps imported lists as keyed hashes of the codice fiscale.
type Store struct {
	db    *db.DB
	keys  *secure.Keyring
	clock kernel.Clock
}

// NewStore returns the store.
func NewStore(d *db.DB, keys *secure.Keyring, clock kernel.Clock) *Store {
	return &Store{db: d, keys: keys, clock: clock}
}

func table(kind Kind) string {
	if kind == Electors {
		return "census_electors"
	}
	return "census_residents"
}

// Source returns the imported list of kind as a Source.
func (s *Store) Source(kind Kind) Source { return storeSource{s: s, kind: kind} }

type storeSource struct {
	s    *Store
	kind Kind
}

func (ss storeSource) Lookup(ctx context.Context, fiscalCode string) (Record, error) {
	h := ss.s.keys.Lookup(HashPurpose, codicefiscale.Normalize(fiscalCode))
	var r Record
	err := ss.s.db.R().QueryRowContext(ctx, `SELECT municipio FROM `+table(ss.kind)+` WHERE fiscal_hash = $1`, h).Scan(&r.Municipio)
	if errors.Is(err, sql.ErrNoRows) {
		return Record{}, nil
	}
	if err != nil {
		return Record{}, fmt.Errorf("census: lookup %s: %w: %w", ss.kind, ErrUnavailable, err)
	}
	r.Listed = true
	return r, nil
}

// Import is one stored import.
type Import struct {
	ID         int64
	Kind       Kind
	Rows       int
	Source     string
	SHA256     string
	ImportedAt time.Time
	ImportedBy int64
}

// LastImport returns the import in force for kind (kernel.ErrNotFound if none).
func (s *Store) LastImport(ctx context.Context, kind Kind) (Import, error) {
	var im Import
	var by sql.NullInt64
	err := s.db.R().QueryRowContext(ctx, `SELECT id, kind, row_count, source, sha256, imported_at, imported_by
		FROM census_imports WHERE kind = $1 ORDER BY id DESC LIMIT 1`, string(kind)).
		Scan(&im.ID, &im.Kind, &im.Rows, &im.Source, &im.SHA256, &im.ImportedAt, &by)
	if err != nil {
		return Import{}, fmt.Errorf("census: last import: %w", db.Normalize(err))
	}
	im.ImportedBy = by.Int64
	return im, nil
}

// ImportOptions describe an import.
type ImportOptions struct {
	Source   string         // file name, recorded for the audit log
	By       int64          // staff member importing (0 = command line / system)
	Progress func(Progress) // called every few thousand rows and at the end; may be nil
	Every    int            // rows between Progress calls (default 5000)
}

// Progress reports how far an import got.
type Progress struct {
	Rows  int   // data rows read
	Bytes int64 // bytes of input read
	Done  bool
}

// ImportResult summarises a committed import.
type ImportResult struct {
	ImportID int64
	Kind     Kind
	Rows     int
	Replaced int // rows of the previous import that were replaced
	SHA256   string
}

// LineError is one bad line of an import file.
type LineError struct {
	Line    int
	Problem string
}

// ImportError lists the bad lines of a refused import (nothing was imported).
type ImportError struct {
	Lines []LineError
	More  int // bad lines beyond those listed
}

// MaxReportedLines bounds ImportError.Lines.
const MaxReportedLines = 100

func (e *ImportError) Error() string {
	var b strings.Builder
	n := len(e.Lines) + e.More
	fmt.Fprintf(&b, "census: %d bad line(s), nothing imported:", n)
	for _, l := range e.Lines {
		fmt.Fprintf(&b, "\n  line %d: %s", l.Line, l.Problem)
	}
	if e.More > 0 {
		fmt.Fprintf(&b, "\n  … and %d more", e.More)
	}
	return b.String()
}

// Is makes errors.Is(err, kernel.ErrInvalid) true.
func (e *ImportError) Is(target error) bool { return target == kernel.ErrInvalid }

func (e *ImportError) add(line int, format string, args ...any) {
	if len(e.Lines) >= MaxReportedLines {
		e.More++
		return
	}
	e.Lines = append(e.Lines, LineError{Line: line, Problem: fmt.Sprintf(format, args...)})
}

func (e *ImportError) count() int { return len(e.Lines) + e.More }

// maxLineErrors stops reading a file that is clearly not a census export.
const maxLineErrors = 10000

// batchRows is how many rows go in one INSERT.
const batchRows = 400

// Import reads a CSV list of kind and makes it the list in force, replacing
// the previous import in the same transaction: readers see either the old
// list or the new one, never a mix, and a file with any bad line imports
// nothing (the error is an *ImportError listing the lines).
//
// Format: a header line "codice_fiscale;municipio" (or with ","), then one
// person per line. A UTF-8 BOM and CRLF line ends are accepted. For electors
// the municipio column is optional.
func (s *Store) Import(ctx context.Context, kind Kind, r io.Reader, opt ImportOptions) (ImportResult, error) {
	if !kind.Valid() {
		return ImportResult{}, fmt.Errorf("census: unknown list %q (want residents or electors)", kind)
	}
	if opt.Every <= 0 {
		opt.Every = 5000
	}
	now := s.clock.Now()
	hasher := sha256.New()
	counter := &countingReader{r: io.TeeReader(r, hasher)}
	br := bufio.NewReaderSize(counter, 64<<10)
	if bom, err := br.Peek(3); err == nil && bytes.Equal(bom, []byte{0xEF, 0xBB, 0xBF}) {
		_, _ = br.Discard(3)
	}
	first, err := br.Peek(4096)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return ImportResult{}, fmt.Errorf("census: read: %w", err)
	}
	comma := ';'
	if line, _, _ := bytes.Cut(first, []byte("\n")); !bytes.Contains(line, []byte(";")) && bytes.Contains(line, []byte(",")) {
		comma = ','
	}
	cr := csv.NewReader(br)
	cr.Comma = comma
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true

	bad := &ImportError{}
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		bad.add(1, "the file is empty: expected a header line \"codice_fiscale;municipio\"")
		return ImportResult{}, bad
	}
	if err != nil {
		bad.add(1, "unreadable header: %v", csvProblem(err))
		return ImportResult{}, bad
	}
	cfCol, munCol := -1, -1
	for i, h := range header {
		switch strings.ToLower(strings.TrimSpace(h)) {
		case "codice_fiscale", "codicefiscale", "fiscal_code":
			cfCol = i
		case "municipio":
			munCol = i
		}
	}
	if cfCol < 0 || (kind == Residents && munCol < 0) {
		want := "codice_fiscale;municipio"
		if kind == Electors {
			want = "codice_fiscale[;municipio]"
		}
		bad.add(1, "header is %q, expected %q", strings.Join(header, string(comma)), want)
		return ImportResult{}, bad
	}

	var res ImportResult
	res.Kind = kind
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, `INSERT INTO census_imports (kind, row_count, source, imported_at, imported_by)
			VALUES ($1, 0, $2, $3, $4) RETURNING id`, string(kind), truncate(opt.Source, 200), now, nullID(opt.By)).Scan(&res.ImportID); err != nil {
			return fmt.Errorf("census: create import: %w", err)
		}
		seen := make(map[[16]byte]int32, 1024)
		batch := make([]any, 0, batchRows*3)
		flush := func() error {
			if len(batch) == 0 || bad.count() > 0 {
				batch = batch[:0]
				return nil
			}
			var q strings.Builder
			q.WriteString(`INSERT INTO ` + table(kind) + ` (import_id, fiscal_hash, municipio) VALUES `)
			for i := 0; i < len(batch)/3; i++ {
				if i > 0 {
					q.WriteByte(',')
				}
				fmt.Fprintf(&q, "($%d, $%d, $%d)", 3*i+1, 3*i+2, 3*i+3)
			}
			if _, err := tx.ExecContext(ctx, q.String(), batch...); err != nil {
				return fmt.Errorf("census: insert rows: %w", err)
			}
			batch = batch[:0]
			return nil
		}
		for {
			rec, err := cr.Read()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				line := 0
				var pe *csv.ParseError
				if errors.As(err, &pe) {
					line = pe.Line
				}
				bad.add(line, "%v", csvProblem(err))
				if bad.count() >= maxLineErrors {
					break
				}
				continue
			}
			line, _ := cr.FieldPos(0)
			if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
				continue // blank line
			}
			res.Rows++
			if len(rec) != len(header) {
				bad.add(line, "%d fields, expected %d", len(rec), len(header))
				continue
			}
			info, perr := codicefiscale.Parse(rec[cfCol], now)
			if perr != nil {
				bad.add(line, "invalid codice fiscale: %s", cfProblem(perr))
				continue
			}
			municipio := ""
			if munCol >= 0 {
				municipio, perr = NormalizeMunicipio(rec[munCol])
				if perr != nil {
					bad.add(line, "%v", perr)
					continue
				}
			}
			h := s.keys.Lookup(HashPurpose, info.Code)
			var key [16]byte
			_, _ = hex.Decode(key[:], []byte(h[:32]))
			if prev, dup := seen[key]; dup {
				bad.add(line, "the same codice fiscale as line %d", prev)
				continue
			}
			seen[key] = int32(line)
			if bad.count() == 0 {
				batch = append(batch, res.ImportID, h, municipio)
				if len(batch) == cap(batch) {
					if err := flush(); err != nil {
						return err
					}
				}
			}
			if opt.Progress != nil && res.Rows%opt.Every == 0 {
				opt.Progress(Progress{Rows: res.Rows, Bytes: counter.n})
			}
			if bad.count() >= maxLineErrors {
				break
			}
		}
		if bad.count() > 0 {
			return bad
		}
		if res.Rows == 0 {
			bad.add(2, "no data rows after the header: an empty list would remove everyone")
			return bad
		}
		if err := flush(); err != nil {
			return err
		}
		old, err := tx.ExecContext(ctx, `DELETE FROM `+table(kind)+` WHERE import_id <> $1`, res.ImportID)
		if err != nil {
			return fmt.Errorf("census: replace previous import: %w", err)
		}
		n, _ := old.RowsAffected()
		res.Replaced = int(n)
		res.SHA256 = hex.EncodeToString(hasher.Sum(nil))
		if _, err := tx.ExecContext(ctx, `UPDATE census_imports SET row_count = $1, sha256 = $2 WHERE id = $3`, res.Rows, res.SHA256, res.ImportID); err != nil {
			return fmt.Errorf("census: finish import: %w", err)
		}
		return audit.Record(ctx, tx, now, audit.Entry{
			Action: "census.import", TargetType: "census_import", TargetID: res.ImportID,
			After: map[string]any{"kind": kind, "rows": res.Rows, "replaced": res.Replaced, "source": opt.Source, "sha256": res.SHA256},
		})
	})
	if opt.Progress != nil {
		opt.Progress(Progress{Rows: res.Rows, Bytes: counter.n, Done: true})
	}
	if err != nil {
		return ImportResult{}, err
	}
	return res, nil
}

// csvProblem describes a CSV syntax error without echoing the line's content
// (it may hold a codice fiscale).
func csvProblem(err error) string {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return "CSV syntax: " + pe.Err.Error()
	}
	return err.Error()
}

// cfProblem describes what is wrong with a codice fiscale without echoing it.
func cfProblem(err error) string {
	switch {
	case errors.Is(err, codicefiscale.ErrEmpty):
		return "empty"
	case errors.Is(err, codicefiscale.ErrLength):
		return "not 16 characters"
	case errors.Is(err, codicefiscale.ErrCheckChar):
		return "wrong check character"
	case errors.Is(err, codicefiscale.ErrDate):
		return "impossible birth date"
	default:
		return "malformed"
	}
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}
