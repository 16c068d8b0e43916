package main

import (
	"bytes"
	"context"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/arengo/arengo/internal/db"
)

func TestSeedConsultationCommand(t *testing.T) {
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "arengo.db")
	env := func(string) string { return "" }
	ctx := context.Background()
	var out, errb bytes.Buffer

	if err := run(ctx, []string{"seed", "petitions", "--database", dbPath}, env, &out, &errb); err == nil || !strings.Contains(err.Error(), "usage: arengo seed consultation") {
		t.Fatalf("unknown seed target: %v", err)
	}
	args := []string{"seed", "consultation", "--demo", "--data-dir", dir, "--database", dbPath,
		"--paragraphs", "25", "--observations", "40", "--comments", "90", "--participants", "30", "--slug", "prova-carico"}
	if err := run(ctx, args, env, &out, &errb); err != nil {
		t.Fatalf("seed: %v\n%s", err, errb.String())
	}
	for _, want := range []string{"/processes/prova-carico/c/", "25 paragraphs", "observations 40", "comments     90", "Pages to measure"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	if !regexp.MustCompile(`in \d+(\.\d+)?m?s:`).MatchString(out.String()) {
		t.Errorf("output does not say how long it took:\n%s", out.String())
	}
	d, err := db.Open(ctx, dbPath, db.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	var paras, obs, comments int
	d.R().QueryRow(`SELECT COUNT(*) FROM consultation_paragraphs`).Scan(&paras)
	d.R().QueryRow(`SELECT COUNT(*) FROM consultation_observations`).Scan(&obs)
	d.R().QueryRow(`SELECT COUNT(*) FROM comments`).Scan(&comments)
	if paras != 25 || obs != 40 || comments != 90 {
		t.Fatalf("stored %d paragraphs, %d observations, %d comments", paras, obs, comments)
	}
	// The same slug twice is refused by the process service, nothing added.
	out.Reset()
	if err := run(ctx, args, env, &out, &errb); err == nil {
		t.Fatal("a second seed with the same slug succeeded")
	}
	d.R().QueryRow(`SELECT COUNT(*) FROM consultation_observations`).Scan(&obs)
	if obs != 40 {
		t.Fatalf("%d observations after the refused second run", obs)
	}
}
