// Command arengo-crawl visits every page of a running Arengo reachable from
// its home page, in Italian and in English, and fails on server errors,
// broken internal links and pages missing the structure every page must have
// (<html lang>, <title>, one <h1>, one <main>, unique ids).
//
//	arengo-crawl -base http://127.0.0.1:8080 [-max 2000] [-locales it,en]
//	arengo-crawl -base … -login-email admin@… -login-password … -locales it
//
// It only sends GET requests, never submits POST forms and never follows
// logout-like links, so it can run against a live demo. Exit status 1 means
// problems were found; 2 means it could not run.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/signal"
	"regexp"
	"sort"
	"strings"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("arengo-crawl", flag.ContinueOnError)
	fs.SetOutput(stderr)
	base := fs.String("base", "", "base URL of the running site, e.g. http://127.0.0.1:8080 (required)")
	max := fs.Int("max", 2000, "maximum number of requests; reaching it is a failure")
	locales := fs.String("locales", "it,en", "comma-separated locales, one pass each (Accept-Language)")
	skip := fs.String("skip", defaultSkip, "regexp on path+query of links never requested")
	nofollow := fs.String("nofollow", defaultNoFollow, "regexp on the path of pages whose links are not followed")
	timeout := fs.Duration("timeout", 5*time.Minute, "give up after this long")
	loginEmail := fs.String("login-email", "", "log in as this account first and crawl as that person")
	loginPassword := fs.String("login-password", "", "password for -login-email (or ARENGO_CRAWL_PASSWORD)")
	loginPath := fs.String("login-path", "/login", "path of the login form")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	u, err := url.Parse(*base)
	if *base == "" || err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		fmt.Fprintln(stderr, "arengo-crawl: -base must be an http(s) URL like http://127.0.0.1:8080")
		return 2
	}
	opt := Options{Base: u, Max: *max, Progress: stdout}
	for _, l := range strings.Split(*locales, ",") {
		if l = strings.TrimSpace(l); l != "" {
			opt.Locales = append(opt.Locales, l)
		}
	}
	for _, re := range []struct {
		expr string
		dst  **regexp.Regexp
	}{{*skip, &opt.Skip}, {*nofollow, &opt.NoFollow}} {
		if re.expr == "" {
			continue
		}
		r, err := regexp.Compile(re.expr)
		if err != nil {
			fmt.Fprintln(stderr, "arengo-crawl:", err)
			return 2
		}
		*re.dst = r
	}
	if *loginEmail != "" {
		pw := *loginPassword
		if pw == "" {
			pw = os.Getenv("ARENGO_CRAWL_PASSWORD")
		}
		opt.Login = &Login{Path: *loginPath, Email: *loginEmail, Password: pw}
		fmt.Fprintf(stdout, "crawling as %s\n", *loginEmail)
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	rep, err := Crawl(ctx, opt)
	printSummary(stdout, rep)
	if err != nil {
		fmt.Fprintln(stderr, "arengo-crawl:", err)
		return 2
	}
	if len(rep.Problems) > 0 {
		return 1
	}
	return 0
}

func printSummary(w io.Writer, rep Report) {
	var per []string
	locs := make([]string, 0, len(rep.Pages))
	for l := range rep.Pages {
		locs = append(locs, l)
	}
	sort.Strings(locs)
	for _, l := range locs {
		per = append(per, fmt.Sprintf("%s %d", l, rep.Pages[l]))
	}
	status := "ok"
	if len(rep.Problems) > 0 {
		status = fmt.Sprintf("%d problems", len(rep.Problems))
	}
	fmt.Fprintf(w, "crawl: %s — %d pages (%s), %d assets, %d redirects, %d links skipped, in %s\n",
		status, rep.TotalPages(), strings.Join(per, ", "), rep.Assets, rep.Redirects, rep.Skipped, rep.Elapsed.Round(time.Millisecond))
}
