package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/arengo/arengo/internal/config"
	"github.com/arengo/arengo/internal/db"
	"github.com/arengo/arengo/internal/identity/census"
	"github.com/arengo/arengo/internal/kernel"
	"github.com/arengo/arengo/internal/secure"
)

const censusUsage = `usage: arengo census import FILE [--kind residents|electors]

FILE is a CSV export of the registry: a header "codice_fiscale;municipio"
(";" or ","; the municipio column is optional for electors), then one person
per line. The list replaces the previous one in a single transaction; a file
with any bad line imports nothing and the bad lines are listed. Codici
fiscali are stored only as keyed hashes (ARENGO_SECRET_KEY).`

// censusCmd runs "arengo census …".
func censusCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "import" {
		return errors.New(censusUsage)
	}
	args = args[1:]
	file, rest := splitFileArg(args)
	fs := flag.NewFlagSet("arengo census import", flag.ContinueOnError)
	fs.SetOutput(stderr)
	kind := fs.String("kind", "residents", "list to import: residents or electors")
	cfg, err := config.Load(fs, rest, getenv)
	if err != nil {
		return err
	}
	if file == "" && fs.NArg() > 0 {
		file = fs.Arg(0)
	}
	if file == "" {
		return errors.New(censusUsage)
	}
	k := census.Kind(*kind)
	if !k.Valid() {
		return fmt.Errorf("--kind %q: want residents or electors", *kind)
	}
	keys, _, err := secure.LoadOrCreateKey(cfg.DataDir, cfg.SecretKey, cfg.Demo)
	if err != nil {
		return err
	}
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	var size int64
	if st, err := f.Stat(); err == nil {
		size = st.Size()
	}
	d, err := db.Open(ctx, cfg.DatabaseURL, db.Options{})
	if err != nil {
		return err
	}
	defer d.Close()
	if _, err := d.Migrate(ctx); err != nil {
		return err
	}
	bar := &progressBar{w: stderr, total: size, start: time.Now(), noun: string(k)}
	res, err := census.NewStore(d, keys, kernel.SystemClock{}).Import(ctx, k, f, census.ImportOptions{
		Source: baseName(file), Every: 1000, Progress: bar.update,
	})
	if err != nil {
		var ie *census.ImportError
		if errors.As(err, &ie) {
			fmt.Fprintln(stderr, ie.Error())
			return fmt.Errorf("%s: %d bad line(s): nothing was imported, the previous list is still in force", file, len(ie.Lines)+ie.More)
		}
		return err
	}
	fmt.Fprintf(stdout, "imported %d %s from %s in %s (replacing %d); import #%d, sha256 %s\n",
		res.Rows, k, baseName(file), time.Since(bar.start).Round(time.Millisecond), res.Replaced, res.ImportID, res.SHA256)
	return nil
}

// splitFileArg takes the FILE operand out of args wherever it is, so that
// flags may come before or after it (Go's flag package stops at the first
// operand).
func splitFileArg(args []string) (file string, rest []string) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			if i+1 < len(args) && file == "" {
				file = args[i+1]
			}
			return file, append(rest, args[i+2:]...)
		}
		if strings.HasPrefix(a, "-") {
			rest = append(rest, a)
			name := strings.TrimLeft(a, "-")
			if !strings.Contains(name, "=") && name != "demo" && name != "h" && name != "help" && i+1 < len(args) {
				i++
				rest = append(rest, args[i])
			}
			continue
		}
		if file == "" {
			file = a
			continue
		}
		rest = append(rest, a)
	}
	return file, rest
}

func baseName(p string) string {
	if i := strings.LastIndexAny(p, `/\`); i >= 0 {
		return p[i+1:]
	}
	return p
}

// progressBar draws "[#####     ]  50%  12,000 residents  8,000/s" on one
// line of stderr, at most ten times a second.
type progressBar struct {
	w     io.Writer
	total int64
	start time.Time
	last  time.Time
	noun  string
}

func (b *progressBar) update(p census.Progress) {
	now := time.Now()
	if !p.Done && now.Sub(b.last) < 100*time.Millisecond {
		return
	}
	b.last = now
	const width = 30
	frac := 0.0
	if b.total > 0 {
		frac = min(1, float64(p.Bytes)/float64(b.total))
	}
	if p.Done {
		frac = 1
	}
	filled := int(frac * width)
	rate := 0.0
	if el := now.Sub(b.start).Seconds(); el > 0 {
		rate = float64(p.Rows) / el
	}
	fmt.Fprintf(b.w, "\r[%s%s] %3.0f%%  %d %s  %.0f rows/s ", strings.Repeat("#", filled), strings.Repeat(" ", width-filled), frac*100, p.Rows, b.noun, rate)
	if p.Done {
		fmt.Fprintln(b.w)
	}
}
