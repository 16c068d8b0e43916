package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/arengo/arengo/internal/app"
	"github.com/arengo/arengo/internal/config"
	"github.com/arengo/arengo/internal/identity"
	"github.com/arengo/arengo/internal/kernel"
)

func admin(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "create-user" {
		return errors.New(`usage: arengo admin create-user --email E --nickname N [--password-file F] [--admin]`)
	}
	fs := flag.NewFlagSet("arengo admin create-user", flag.ContinueOnError)
	fs.SetOutput(stderr)
	email := fs.String("email", "", "email address (required)")
	nick := fs.String("nickname", "", "public nickname (required)")
	pwFile := fs.String("password-file", "", "file holding the password (default: ARENGO_ADMIN_PASSWORD, else read a line from stdin)")
	isAdmin := fs.Bool("admin", true, "make the account a platform administrator")
	locale := fs.String("locale", "it", "language: it or en")
	cfg, err := config.Load(fs, args[1:], getenv)
	if err != nil {
		return err
	}
	password := getenv("ARENGO_ADMIN_PASSWORD")
	if *pwFile != "" {
		b, err := os.ReadFile(*pwFile)
		if err != nil {
			return err
		}
		password = strings.TrimRight(string(b), "\r\n")
	}
	if password == "" {
		fmt.Fprint(stderr, "Password: ")
		line, err := bufio.NewReader(os.Stdin).ReadString('\n')
		if err != nil && line == "" {
			return fmt.Errorf("read password: %w", err)
		}
		password = strings.TrimRight(line, "\r\n")
	}
	a, err := app.New(ctx, cfg, app.NewLogger(config.Config{LogLevel: "warn", LogFormat: "text"}), kernel.SystemClock{})
	if err != nil {
		return err
	}
	defer a.Close()
	u, err := a.Services.Identity.CreateUser(ctx, identity.NewUser{Email: *email, Nickname: *nick, Password: password, Locale: *locale, IsAdmin: *isAdmin, Confirmed: true})
	if ie, ok := kernel.AsInvalid(err); ok {
		var msgs []string
		for _, f := range ie.Fields {
			msgs = append(msgs, f.Field+": "+a.Catalog.T(kernel.LocaleEN, f.Key, f.Args...))
		}
		return errors.New(strings.Join(msgs, "; "))
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "created user %d (%s, %s, admin=%v)\n", u.ID, u.Email, u.Nickname, u.IsAdmin)
	return nil
}
