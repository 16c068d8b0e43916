// Command arengo runs the Arengo civic participation platform.
//
//	arengo serve [--demo]            start the web server
//	arengo migrate                   apply database migrations and exit
//	arengo admin create-user …       create an administrator (or participant)
//	arengo version                   print the version
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/arengo/arengo/internal/app"
	"github.com/arengo/arengo/internal/config"
	"github.com/arengo/arengo/internal/db"
	"github.com/arengo/arengo/internal/kernel"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "arengo:", err)
		os.Exit(1)
	}
}

const usage = `Usage: arengo <command> [flags]

Commands:
  serve                 start the web server (--demo loads demo content)
  migrate               apply database migrations and exit
  admin create-user     create an account (--email --nickname --password-file --admin)
  census import FILE    import the residents (or --kind electors) list from a CSV file
  version               print the version

Run "arengo <command> -h" for the flags of a command. Every flag can also be
set with an ARENGO_* environment variable (see README).
`

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errors.New("no command given")
	}
	switch args[0] {
	case "serve":
		return serve(ctx, args[1:], getenv, stdout, stderr)
	case "migrate":
		return migrate(ctx, args[1:], getenv, stdout, stderr)
	case "admin":
		return admin(ctx, args[1:], getenv, stdout, stderr)
	case "census":
		return censusCmd(ctx, args[1:], getenv, stdout, stderr)
	case "seed": // arengo seed consultation: generated content for measuring performance (cmd/arengo/seed.go)
		return seedCmd(ctx, args[1:], getenv, stdout, stderr)
	case "version", "--version", "-version":
		fmt.Fprintln(stdout, "arengo", version)
		return nil
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	default:
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("unknown command %q", args[0])
	}
}

func loadConfig(name string, args []string, getenv func(string) string, stderr io.Writer) (config.Config, *flag.FlagSet, error) {
	fs := flag.NewFlagSet("arengo "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfg, err := config.Load(fs, args, getenv)
	return cfg, fs, err
}

func serve(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, _, err := loadConfig("serve", args, getenv, stderr)
	if err != nil {
		return err
	}
	log := app.NewLogger(cfg)
	a, err := app.New(ctx, cfg, log, kernel.SystemClock{})
	if err != nil {
		return err
	}
	defer a.Close()
	if cfg.Demo {
		info, err := a.LoadDemo(ctx)
		if err != nil {
			return fmt.Errorf("demo content: %w", err)
		}
		// Loading the demo hashes passwords with argon2id (64 MiB each):
		// hand that memory back now rather than at the next idle GC.
		debug.FreeOSMemory()
		return a.Serve(ctx, func(addr string) {
			fmt.Fprintf(stdout, "\nArengo is running with demo content at %s\n", cfg.BaseURL)
			fmt.Fprintf(stdout, "Database: %s (%s)\n", cfg.DatabaseURL, a.DB.Engine)
			fmt.Fprint(stdout, info)
			fmt.Fprintf(stdout, "Emails are not sent in demo mode: read them at %s/dev/mail\n\n", cfg.BaseURL)
		})
	}
	return a.Serve(ctx, func(addr string) {
		log.Info("arengo listening", "addr", addr, "base_url", cfg.BaseURL, "engine", a.DB.Engine, "version", version)
	})
}

func migrate(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, _, err := loadConfig("migrate", args, getenv, stderr)
	if err != nil {
		return err
	}
	d, err := db.Open(ctx, cfg.DatabaseURL, db.Options{})
	if err != nil {
		return err
	}
	defer d.Close()
	applied, err := d.Migrate(ctx)
	if err != nil {
		return err
	}
	if len(applied) == 0 {
		fmt.Fprintln(stdout, "database is up to date")
	}
	for _, v := range applied {
		fmt.Fprintln(stdout, "applied", v)
	}
	return nil
}
