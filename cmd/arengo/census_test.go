package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/arengo/arengo/internal/db"
	"github.com/arengo/arengo/internal/identity/census"
	"github.com/arengo/arengo/internal/identity/codicefiscale"
	"github.com/arengo/arengo/internal/kernel"
	"github.com/arengo/arengo/internal/secure"
)

func TestCensusImportCommand(t *testing.T) {
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "arengo.db")
	a, _ := codicefiscale.Generate(codicefiscale.Person{FamilyName: "Rossi", GivenName: "Anna", BirthDate: time.Date(1980, 3, 4, 0, 0, 0, 0, time.UTC), Sex: 'F', Birthplace: "F205"})
	b, _ := codicefiscale.Generate(codicefiscale.Person{FamilyName: "Verdi", GivenName: "Luca", BirthDate: time.Date(1991, 7, 8, 0, 0, 0, 0, time.UTC), Sex: 'M', Birthplace: "F205"})
	good := filepath.Join(dir, "residenti.csv")
	os.WriteFile(good, []byte("\ufeffcodice_fiscale;municipio\r\n"+a+";5\r\n"+b+";1\r\n"), 0o600)
	bad := filepath.Join(dir, "errato.csv")
	os.WriteFile(bad, []byte("codice_fiscale;municipio\n"+b+";2\nRSSMRA80A01H501X;3\n"), 0o600)
	env := func(string) string { return "" }
	var out, errb bytes.Buffer
	ctx := context.Background()

	// Production without a key refuses before touching the database.
	err := run(ctx, []string{"census", "import", good, "--database", dbPath, "--data-dir", dir}, env, &out, &errb)
	if err == nil || !strings.Contains(err.Error(), "ARENGO_SECRET_KEY") {
		t.Fatalf("no key: %v", err)
	}
	if _, err := os.Stat(dbPath); !os.IsNotExist(err) {
		t.Fatal("database created without a key")
	}

	// Demo mode: flags after the file, a key generated in the data dir.
	err = run(ctx, []string{"census", "import", good, "--kind", "residents", "--database", dbPath, "--data-dir", dir, "--demo"}, env, &out, &errb)
	if err != nil {
		t.Fatalf("%v\n%s", err, errb.String())
	}
	if !strings.Contains(out.String(), "imported 2 residents from residenti.csv") || !strings.Contains(errb.String(), "100%") {
		t.Fatalf("stdout %q stderr %q", out.String(), errb.String())
	}

	out.Reset()
	errb.Reset()
	err = run(ctx, []string{"census", "import", "--demo", "--database", dbPath, "--data-dir", dir, bad}, env, &out, &errb)
	if err == nil || !strings.Contains(err.Error(), "nothing was imported") || !strings.Contains(errb.String(), "line 3: invalid codice fiscale: wrong check character") {
		t.Fatalf("bad file: %v\n%s", err, errb.String())
	}
	if err := run(ctx, []string{"census", "import", good, "--kind", "voters", "--demo", "--database", dbPath, "--data-dir", dir}, env, &out, &errb); err == nil {
		t.Fatal("unknown kind accepted")
	}
	if err := run(ctx, []string{"census", "import", "--demo", "--data-dir", dir}, env, &out, &errb); err == nil || !strings.Contains(err.Error(), "usage") {
		t.Fatalf("no file: %v", err)
	}

	// The list in force is still the good one, readable with the same key.
	keys, _, err := secure.LoadOrCreateKey(dir, "", true)
	if err != nil {
		t.Fatal(err)
	}
	d, err := db.Open(ctx, dbPath, db.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	src := census.NewStore(d, keys, kernel.SystemClock{}).Source(census.Residents)
	if r, err := src.Lookup(ctx, a); err != nil || !r.Listed || r.Municipio != "5" {
		t.Fatalf("lookup a: %+v %v", r, err)
	}
	if r, _ := src.Lookup(ctx, b); r.Municipio != "1" {
		t.Fatalf("lookup b: %+v (the refused file changed it?)", r)
	}
}
