package census_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/arengo/arengo/internal/db"
	"github.com/arengo/arengo/internal/db/dbtest"
	"github.com/arengo/arengo/internal/identity/census"
	"github.com/arengo/arengo/internal/identity/codicefiscale"
	"github.com/arengo/arengo/internal/kernel"
	"github.com/arengo/arengo/internal/secure"
)

var now = time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)

func codes(n int) []string {
	rng := rand.New(rand.NewPCG(7, uint64(n)))
	seen := map[string]bool{}
	var out []string
	for len(out) < n {
		c := codicefiscale.Fictitious(rng, time.Date(1940+rng.IntN(60), time.Month(1+rng.IntN(12)), 1+rng.IntN(28), 0, 0, 0, 0, time.UTC), codicefiscale.Male)
		if !seen[c] {
			seen[c] = true
			out = append(out, c)
		}
	}
	return out
}

func newStore(_ testing.TB, d *db.DB) *census.Store {
	return census.NewStore(d, secure.NewEphemeral(), &kernel.FixedClock{T: now})
}

func count(t *testing.T, d *db.DB, q string) int {
	t.Helper()
	var n int
	if err := d.R().QueryRow(q).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestImportAndLookup(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s := newStore(t, d)
		cf := codes(3)
		// BOM, CRLF, lower case and a zero-padded Municipio are all fine.
		file := "\ufeffcodice_fiscale;municipio\r\n" + strings.ToLower(cf[0]) + ";05\r\n" + cf[1] + ";1\r\n"
		var calls []census.Progress
		res, err := s.Import(ctx, census.Residents, strings.NewReader(file), census.ImportOptions{Source: "anagrafe.csv", Every: 1, Progress: func(p census.Progress) { calls = append(calls, p) }})
		if err != nil {
			t.Fatal(err)
		}
		if res.Rows != 2 || res.Replaced != 0 || len(res.SHA256) != 64 {
			t.Fatalf("result %+v", res)
		}
		if len(calls) != 3 || !calls[2].Done || calls[2].Rows != 2 || calls[2].Bytes != int64(len(file)) {
			t.Fatalf("progress %+v", calls)
		}
		src := s.Source(census.Residents)
		if r, err := src.Lookup(ctx, cf[0]); err != nil || !r.Listed || r.Municipio != "5" {
			t.Fatalf("lookup 0 = %+v, %v", r, err)
		}
		if r, err := src.Lookup(ctx, " "+strings.ToLower(cf[1])); err != nil || !r.Listed || r.Municipio != "1" {
			t.Fatalf("lookup 1 = %+v, %v", r, err)
		}
		if r, err := src.Lookup(ctx, cf[2]); err != nil || r.Listed {
			t.Fatalf("lookup 2 = %+v, %v", r, err)
		}
		if r, _ := s.Source(census.Electors).Lookup(ctx, cf[0]); r.Listed {
			t.Fatal("resident found among electors")
		}
		// Never in clear.
		if n := count(t, d, `SELECT COUNT(*) FROM census_residents WHERE fiscal_hash = '`+cf[0]+`' OR municipio = '`+cf[0]+`'`); n != 0 {
			t.Fatal("codice fiscale stored in clear")
		}
		if n := count(t, d, `SELECT COUNT(*) FROM audit_log WHERE action = 'census.import'`); n != 1 {
			t.Fatalf("audit entries = %d", n)
		}

		// A new import replaces the old one entirely; comma-separated is fine.
		res2, err := s.Import(ctx, census.Residents, strings.NewReader("codice_fiscale,municipio\n"+cf[2]+",9\n"), census.ImportOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if res2.Replaced != 2 || res2.ImportID == res.ImportID {
			t.Fatalf("second import %+v", res2)
		}
		if r, _ := src.Lookup(ctx, cf[0]); r.Listed {
			t.Fatal("person of the previous import still listed")
		}
		if r, _ := src.Lookup(ctx, cf[2]); !r.Listed || r.Municipio != "9" {
			t.Fatalf("new import not in force: %+v", r)
		}
		last, err := s.LastImport(ctx, census.Residents)
		if err != nil || last.ID != res2.ImportID || last.Rows != 1 {
			t.Fatalf("last import %+v, %v", last, err)
		}
		if _, err := s.LastImport(ctx, census.Electors); !errors.Is(err, kernel.ErrNotFound) {
			t.Fatalf("no electors import: %v", err)
		}
	})
}

func TestImportElectorsWithoutMunicipio(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s := newStore(t, d)
		cf := codes(2)
		if _, err := s.Import(ctx, census.Electors, strings.NewReader("codice_fiscale\n"+cf[0]+"\n"), census.ImportOptions{}); err != nil {
			t.Fatal(err)
		}
		if r, err := s.Source(census.Electors).Lookup(ctx, cf[0]); err != nil || !r.Listed || r.Municipio != "" {
			t.Fatalf("%+v %v", r, err)
		}
		// Residents need the Municipio column.
		_, err := s.Import(ctx, census.Residents, strings.NewReader("codice_fiscale\n"+cf[1]+"\n"), census.ImportOptions{})
		var ie *census.ImportError
		if !errors.As(err, &ie) || ie.Lines[0].Line != 1 {
			t.Fatalf("residents without municipio column: %v", err)
		}
	})
}

func TestImportBadRowsImportsNothing(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s := newStore(t, d)
		cf := codes(5)
		if _, err := s.Import(ctx, census.Residents, strings.NewReader("codice_fiscale;municipio\n"+cf[0]+";1\n"), census.ImportOptions{}); err != nil {
			t.Fatal(err)
		}
		wrongCheck := cf[2][:15] + string(rune('A'+(cf[2][15]-'A'+1)%26))
		file := strings.Join([]string{
			"codice_fiscale;municipio", // 1
			cf[1] + ";2",               // 2 ok
			wrongCheck + ";3",          // 3 wrong check character
			"RSSMRA80A01;3",            // 4 too short
			cf[3] + ";4;extra",         // 5 too many fields
			cf[1] + ";2",               // 6 duplicate of line 2
			cf[4] + ";<script>",        // 7 hostile municipio
			"",                         // 8 blank: ignored
			cf[3] + ";4",               // 9 ok
			`"` + cf[3] + `;4`,         // 10 unterminated quote (to end of file)
		}, "\n")
		_, err := s.Import(ctx, census.Residents, strings.NewReader(file), census.ImportOptions{})
		var ie *census.ImportError
		if !errors.As(err, &ie) || !errors.Is(err, kernel.ErrInvalid) {
			t.Fatalf("err = %v", err)
		}
		var lines []int
		for _, l := range ie.Lines {
			lines = append(lines, l.Line)
			if strings.Contains(l.Problem, cf[1]) || strings.Contains(l.Problem, wrongCheck) {
				t.Errorf("line %d problem echoes a codice fiscale: %s", l.Line, l.Problem)
			}
		}
		want := []int{3, 4, 5, 6, 7, 10}
		if len(lines) != len(want) {
			t.Fatalf("bad lines %v (%v), want %v", lines, ie, want)
		}
		for i := range want {
			if lines[i] != want[i] {
				t.Fatalf("bad lines %v, want %v", lines, want)
			}
		}
		if !strings.Contains(ie.Lines[3].Problem, "line 2") || !strings.Contains(ie.Lines[0].Problem, "check character") {
			t.Fatalf("problems: %v", ie)
		}
		// Nothing changed: the previous import is still the one in force.
		if n := count(t, d, `SELECT COUNT(*) FROM census_imports`); n != 1 {
			t.Fatalf("imports = %d", n)
		}
		if n := count(t, d, `SELECT COUNT(*) FROM census_residents`); n != 1 {
			t.Fatalf("residents = %d", n)
		}
		if r, _ := s.Source(census.Residents).Lookup(ctx, cf[0]); !r.Listed {
			t.Fatal("previous import lost")
		}
		if r, _ := s.Source(census.Residents).Lookup(ctx, cf[1]); r.Listed {
			t.Fatal("a good row of a refused file was imported")
		}
	})
}

func TestImportRefusesMalformedFiles(t *testing.T) {
	d := dbtest.SQLite(t)
	s := newStore(t, d)
	cf := codes(1)
	cases := map[string]string{
		"empty":       "",
		"header only": "codice_fiscale;municipio\n",
		"no header":   cf[0] + ";1\n",
		"binary":      "\x00\x01\x02\xff\xfe",
		"wrong names": "cf;zona\n" + cf[0] + ";1\n",
	}
	for name, file := range cases {
		_, err := s.Import(context.Background(), census.Residents, strings.NewReader(file), census.ImportOptions{})
		var ie *census.ImportError
		if !errors.As(err, &ie) {
			t.Errorf("%s: err = %v", name, err)
		}
	}
	if _, err := s.Import(context.Background(), census.Kind("voters"), strings.NewReader(""), census.ImportOptions{}); err == nil {
		t.Error("unknown kind accepted")
	}
	if n := count(t, d, `SELECT COUNT(*) FROM census_imports`); n != 0 {
		t.Fatalf("imports = %d", n)
	}
}

func TestImportMany(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s := newStore(t, d)
		cf := codes(2500)
		var b strings.Builder
		b.WriteString("codice_fiscale;municipio\n")
		for i, c := range cf {
			b.WriteString(c + ";" + string(rune('1'+i%9)) + "\n")
		}
		res, err := s.Import(context.Background(), census.Residents, strings.NewReader(b.String()), census.ImportOptions{})
		if err != nil || res.Rows != 2500 {
			t.Fatalf("%+v %v", res, err)
		}
		if n := count(t, d, `SELECT COUNT(*) FROM census_residents`); n != 2500 {
			t.Fatalf("rows = %d", n)
		}
		if r, _ := s.Source(census.Residents).Lookup(context.Background(), cf[2499]); r.Municipio != string(rune('1'+2499%9)) {
			t.Fatalf("last row %+v", r)
		}
	})
}

func TestStatic(t *testing.T) {
	cf := codes(2)
	s := census.Static{cf[0]: {Municipio: "3"}}
	if r, _ := s.Lookup(context.Background(), strings.ToLower(cf[0])); !r.Listed || r.Municipio != "3" {
		t.Fatalf("%+v", r)
	}
	if r, _ := s.Lookup(context.Background(), cf[1]); r.Listed {
		t.Fatal("listed")
	}
}

func TestNormalizeMunicipio(t *testing.T) {
	for in, want := range map[string]string{"5": "5", " 05 ": "5", "0": "0", "00": "0", "Centro Storico": "Centro Storico", "": ""} {
		if got, err := census.NormalizeMunicipio(in); err != nil || got != want {
			t.Errorf("%q → %q, %v", in, got, err)
		}
	}
	for _, in := range []string{"<b>", "1;2", strings.Repeat("9", 17), "quartière"} {
		if _, err := census.NormalizeMunicipio(in); err == nil {
			t.Errorf("%q accepted", in)
		}
	}
}

func TestHTTPClient(t *testing.T) {
	cf := codes(1)[0]
	type reply struct {
		status int
		body   string
		delay  bool
	}
	var next reply
	var gotAuth, gotBody, gotURL string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotAuth = r.Header.Get("Authorization")
		gotURL = r.URL.String()
		b, _ := io.ReadAll(r.Body)
		gotBody = string(b)
		if next.delay {
			<-r.Context().Done()
			return
		}
		w.WriteHeader(next.status)
		io.WriteString(w, next.body)
	}))
	defer srv.Close()
	c := &census.HTTPClient{Kind: census.Residents, URL: srv.URL + "/anagrafe/residenza", Token: "s3cret", Timeout: 200 * time.Millisecond}
	ctx := context.Background()

	next = reply{200, `{"resident": true, "municipio": "05"}`, false}
	r, err := c.Lookup(ctx, strings.ToLower(cf))
	if err != nil || !r.Listed || r.Municipio != "5" {
		t.Fatalf("%+v %v", r, err)
	}
	var sent map[string]string
	if gotAuth != "Bearer s3cret" || json.Unmarshal([]byte(gotBody), &sent) != nil || sent["codice_fiscale"] != cf || strings.Contains(gotURL, cf) {
		t.Fatalf("request: auth %q body %q url %q", gotAuth, gotBody, gotURL)
	}
	next = reply{200, `{"resident": true, "municipio": 7}`, false}
	if r, err := c.Lookup(ctx, cf); err != nil || r.Municipio != "7" {
		t.Fatalf("numeric municipio: %+v %v", r, err)
	}
	next = reply{200, `{"resident": false, "municipio": "ignored"}`, false}
	if r, err := c.Lookup(ctx, cf); err != nil || r.Listed || r.Municipio != "" {
		t.Fatalf("not resident: %+v %v", r, err)
	}
	elector := &census.HTTPClient{Kind: census.Electors, URL: srv.URL}
	next = reply{200, `{"elector": true}`, false}
	if r, err := elector.Lookup(ctx, cf); err != nil || !r.Listed {
		t.Fatalf("elector: %+v %v", r, err)
	}
	if gotAuth != "" {
		t.Fatalf("no token configured but sent %q", gotAuth)
	}

	bad := map[string]reply{
		"500":               {500, `{"resident": true}`, false},
		"404":               {404, ``, false},
		"malformed JSON":    {200, `{"resident": tru`, false},
		"HTML":              {200, `<html>errore</html>`, false},
		"missing field":     {200, `{"municipio": "5"}`, false},
		"string boolean":    {200, `{"resident": "true"}`, false},
		"other list field":  {200, `{"elector": true}`, false},
		"array":             {200, `[true]`, false},
		"hostile municipio": {200, `{"resident": true, "municipio": "<script>"}`, false},
		"float municipio":   {200, `{"resident": true, "municipio": 1.5}`, false},
		"object municipio":  {200, `{"resident": true, "municipio": {}}`, false},
		"huge":              {200, `{"resident": true, "x": "` + strings.Repeat("a", 70<<10) + `"}`, false},
		"timeout":           {0, ``, true},
	}
	for name, rep := range bad {
		next = rep
		_, err := c.Lookup(ctx, cf)
		if !errors.Is(err, census.ErrUnavailable) {
			t.Errorf("%s: err = %v, want ErrUnavailable", name, err)
		}
		if err != nil && strings.Contains(err.Error(), cf) {
			t.Errorf("%s: error echoes the codice fiscale", name)
		}
	}
	srv.Close()
	if _, err := c.Lookup(ctx, cf); !errors.Is(err, census.ErrUnavailable) {
		t.Errorf("server down: %v", err)
	}
}
