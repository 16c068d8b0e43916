package main

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestRefusesOtherHostsAndUnboundedRuns(t *testing.T) {
	for _, args := range [][]string{
		{"-base", "http://example.org", "/"},
		{"-base", "http://192.168.1.10:8080", "/"},
		{"-base", "http://127.0.0.1:8080"},
		{"-base", "http://127.0.0.1:8080", "-n", "30000", "/"},
		{"-base", "http://127.0.0.1:8080", "-c", "500", "/"},
		{"-base", "http://127.0.0.1:8080", "-timeout", "1h", "/"},
	} {
		var out, errs bytes.Buffer
		if code := run(context.Background(), args, &out, &errs); code != 2 {
			t.Errorf("%v: exit %d, want 2 (%s)", args, code, errs.String())
		}
	}
}

func TestMeasuresAndChecksTheTarget(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			time.Sleep(30 * time.Millisecond)
		}
		w.Write([]byte(strings.Repeat("x", 2048)))
	}))
	defer srv.Close()
	var out, errs bytes.Buffer
	code := run(context.Background(), []string{"-base", srv.URL, "-n", "20", "-c", "4", "-warm", "1", "-max-p95", "20ms", "/fast", "/slow"}, &out, &errs)
	if code != 1 {
		t.Fatalf("exit %d, want 1 (the slow path is over the target): %s %s", code, out.String(), errs.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 3 || strings.Contains(lines[1], "over") || !strings.Contains(lines[2], "over 20ms") {
		t.Fatalf("report:\n%s", out.String())
	}
	if !strings.Contains(lines[1], " 20 ") || !strings.Contains(lines[1], " 2") {
		t.Fatalf("fast path line: %s", lines[1])
	}
}

func TestFailsOnAnErrorStatus(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	defer srv.Close()
	var out, errs bytes.Buffer
	if code := run(context.Background(), []string{"-base", srv.URL, "-n", "5", "/missing"}, &out, &errs); code != 2 || !strings.Contains(errs.String(), "404") {
		t.Fatalf("exit %d: %s", code, errs.String())
	}
}
