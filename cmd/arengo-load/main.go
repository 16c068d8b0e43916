// Command arengo-load sends a bounded number of GET requests to a running
// Arengo on this machine, a few at a time, and reports the latency
// percentiles per path — how the consultation's performance target
// (issue 4: p95 under 50 ms) is checked against a real server.
//
//	arengo-load -base http://127.0.0.1:8080 -n 400 -c 4 /processes/x/c/1 /processes/x/c/1/observations/8
//	arengo-load -base … -max-p95 50ms PATH…    exit status 1 when a path's p95 is over 50 ms
//
// It refuses any host that is not the loopback interface: it is a
// measuring tool, not a way to load someone else's server. The number of
// requests (at most 20,000), the concurrency (at most 32) and the total
// time (at most 10 minutes) are bounded. Exit status 2 means it could not
// run or a request failed.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"slices"
	"sync"
	"syscall"
	"time"
)

const (
	maxRequests    = 20000
	maxConcurrency = 32
	maxDuration    = 10 * time.Minute
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// Result is the measurement of one path.
type Result struct {
	Path          string
	Requests      int
	Bytes         int64
	P50, P95, P99 time.Duration
	Max           time.Duration
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("arengo-load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	base := fs.String("base", "", "base URL of the running server on this machine, e.g. http://127.0.0.1:8080 (required)")
	n := fs.Int("n", 400, fmt.Sprintf("requests per path (at most %d in all)", maxRequests))
	c := fs.Int("c", 4, fmt.Sprintf("requests in flight at once (at most %d)", maxConcurrency))
	warm := fs.Int("warm", 5, "requests per path before measuring, not counted")
	timeout := fs.Duration("timeout", 2*time.Minute, fmt.Sprintf("give up after this long (at most %s)", maxDuration))
	cookie := fs.String("cookie", "", `a Cookie header to send, e.g. "arengo_session=…" to measure as a signed-in person`)
	lang := fs.String("lang", "it", "Accept-Language")
	maxP95 := fs.Duration("max-p95", 0, "fail (exit 1) when a path's p95 is above this (0: report only)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	paths := fs.Args()
	u, err := url.Parse(*base)
	switch {
	case *base == "" || err != nil || u.Scheme != "http" || u.Host == "":
		fmt.Fprintln(stderr, "arengo-load: -base must be an http URL like http://127.0.0.1:8080")
		return 2
	case !loopback(u.Hostname()):
		fmt.Fprintf(stderr, "arengo-load: %s is not this machine's loopback interface: refusing\n", u.Hostname())
		return 2
	case len(paths) == 0:
		fmt.Fprintln(stderr, "arengo-load: give at least one path to measure")
		return 2
	case *n < 1 || *n*len(paths) > maxRequests || *warm < 0 || *warm > 100:
		fmt.Fprintf(stderr, "arengo-load: -n times the paths must be between 1 and %d, -warm between 0 and 100\n", maxRequests)
		return 2
	case *c < 1 || *c > maxConcurrency:
		fmt.Fprintf(stderr, "arengo-load: -c must be between 1 and %d\n", maxConcurrency)
		return 2
	case *timeout <= 0 || *timeout > maxDuration:
		fmt.Fprintf(stderr, "arengo-load: -timeout must be between 0 and %s\n", maxDuration)
		return 2
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	client := &http.Client{
		Transport: &http.Transport{MaxIdleConnsPerHost: *c, DisableCompression: true},
		// A redirect would measure another page.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	fmt.Fprintf(stdout, "%-60s %6s %9s %9s %9s %9s %9s\n", "path", "n", "p50", "p95", "p99", "max", "KiB")
	failed := false
	for _, p := range paths {
		target := u.ResolveReference(&url.URL{Path: p})
		if pu, err := url.Parse(p); err == nil {
			target = u.ResolveReference(pu)
		}
		get := func() (time.Duration, int64, error) {
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, target.String(), nil)
			if err != nil {
				return 0, 0, err
			}
			req.Header.Set("Accept-Language", *lang)
			if *cookie != "" {
				req.Header.Set("Cookie", *cookie)
			}
			start := time.Now()
			resp, err := client.Do(req)
			if err != nil {
				return 0, 0, err
			}
			nb, err := io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			d := time.Since(start)
			if err != nil {
				return 0, 0, err
			}
			if resp.StatusCode != http.StatusOK {
				return 0, 0, fmt.Errorf("GET %s: status %d", target, resp.StatusCode)
			}
			return d, nb, nil
		}
		for range *warm {
			if _, _, err := get(); err != nil {
				fmt.Fprintln(stderr, "arengo-load:", err)
				return 2
			}
		}
		res, err := measure(ctx, p, *n, *c, get)
		if err != nil {
			fmt.Fprintln(stderr, "arengo-load:", err)
			return 2
		}
		ms := func(d time.Duration) string { return fmt.Sprintf("%.1fms", float64(d.Microseconds())/1000) }
		mark := ""
		if *maxP95 > 0 && res.P95 > *maxP95 {
			mark, failed = "  over "+maxP95.String(), true
		}
		fmt.Fprintf(stdout, "%-60s %6d %9s %9s %9s %9s %9d%s\n", p, res.Requests, ms(res.P50), ms(res.P95), ms(res.P99), ms(res.Max),
			res.Bytes/int64(res.Requests)/1024, mark)
	}
	if failed {
		return 1
	}
	return 0
}

// measure runs n requests with c in flight and returns the percentiles.
func measure(ctx context.Context, path string, n, c int, get func() (time.Duration, int64, error)) (Result, error) {
	jobs := make(chan struct{})
	var mu sync.Mutex
	var durations []time.Duration
	var bytes int64
	var firstErr error
	var wg sync.WaitGroup
	for range c {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range jobs {
				d, nb, err := get()
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = err
				}
				durations = append(durations, d)
				bytes += nb
				mu.Unlock()
			}
		}()
	}
	sent := 0
loop:
	for ; sent < n; sent++ {
		mu.Lock()
		stop := firstErr != nil
		mu.Unlock()
		if stop {
			break
		}
		select {
		case jobs <- struct{}{}:
		case <-ctx.Done():
			break loop
		}
	}
	close(jobs)
	wg.Wait()
	if firstErr != nil {
		return Result{}, firstErr
	}
	if sent < n {
		return Result{}, errors.New("time is up before all requests were sent (raise -timeout or lower -n)")
	}
	return summarize(path, durations, bytes), nil
}

func summarize(path string, ds []time.Duration, bytes int64) Result {
	slices.Sort(ds)
	at := func(p float64) time.Duration {
		i := int(float64(len(ds))*p+0.5) - 1
		return ds[max(0, min(len(ds)-1, i))]
	}
	return Result{Path: path, Requests: len(ds), Bytes: bytes, P50: at(0.50), P95: at(0.95), P99: at(0.99), Max: ds[len(ds)-1]}
}

// loopback reports whether host names this machine's loopback interface.
func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
