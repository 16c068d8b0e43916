package census_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/arengo/arengo/internal/db/dbtest"
	"github.com/arengo/arengo/internal/identity/census"
)

// FuzzImport feeds arbitrary files to the CSV import: it must never panic,
// and must either refuse the file (an *ImportError, nothing stored) or store
// exactly the rows it reports.
func FuzzImport(f *testing.F) {
	cf := codes(2)
	for _, s := range []string{
		"codice_fiscale;municipio\n" + cf[0] + ";5\n",
		"\ufeffcodice_fiscale,municipio\r\n" + cf[0] + ",1\r\n" + cf[1] + ",2\r\n",
		"codice_fiscale;municipio\n\"" + cf[0] + "\";\"0005\"\n",
		"codice_fiscale;municipio\n" + cf[0] + ";5;6\n",
		"", "\x00", "codice_fiscale\n",
	} {
		f.Add(s)
	}
	d := dbtest.SQLite(f)
	s := newStore(nil, d)
	f.Fuzz(func(t *testing.T, file string) {
		res, err := s.Import(context.Background(), census.Residents, strings.NewReader(file), census.ImportOptions{})
		var ie *census.ImportError
		switch {
		case errors.As(err, &ie):
			if len(ie.Lines) == 0 {
				t.Fatal("refused without a line")
			}
		case err != nil:
			t.Fatalf("unexpected error: %v", err)
		default:
			var n int
			d.R().QueryRow(`SELECT COUNT(*) FROM census_residents`).Scan(&n)
			if n != res.Rows {
				t.Fatalf("stored %d rows, reported %d", n, res.Rows)
			}
		}
	})
}
