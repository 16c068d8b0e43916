package app

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/arengo/arengo/internal/identity"
	"github.com/arengo/arengo/internal/kernel"
)

// DemoPassword is the password of every demo account. Demo mode is for
// trying the platform on a laptop, never for a real deployment.
const DemoPassword = "arengo-demo-2026"

// demoAccount is a fictitious participant created in demo mode.
type demoAccount struct {
	Email, Nickname, Role string
	Admin                 bool
}

var demoAccounts = []demoAccount{
	{"admin@demo.arengo.it", "Ufficio_Partecipazione", "administrator", true},
	{"giulia@demo.arengo.it", "giulia.m", "participant", false},
	{"marco@demo.arengo.it", "marco_b", "participant", false},
	{"moderatrice@demo.arengo.it", "moderatrice.elena", "moderator", false},
	{"valutatore@demo.arengo.it", "valutatore.paolo", "evaluator", false},
}

// LoadDemo fills an empty database with clearly-marked demo content and
// returns a summary to print. Running it again on a loaded database adds
// nothing.
func (a *App) LoadDemo(ctx context.Context) (string, error) {
	var b strings.Builder
	b.WriteString("\nDemo accounts (password for all: " + DemoPassword + "):\n")
	users := map[string]identity.User{}
	for _, acc := range demoAccounts {
		u, err := a.Services.Identity.UserByEmail(ctx, acc.Email)
		if errors.Is(err, kernel.ErrNotFound) {
			u, err = a.Services.Identity.CreateUser(ctx, identity.NewUser{
				Email: acc.Email, Nickname: acc.Nickname, Password: DemoPassword, Locale: kernel.LocaleIT, IsAdmin: acc.Admin, Confirmed: true,
			})
		}
		if err != nil {
			return "", fmt.Errorf("demo account %s: %w", acc.Email, err)
		}
		users[acc.Role] = u
		fmt.Fprintf(&b, "  %-28s %-14s (%s)\n", acc.Email, acc.Role, acc.Nickname)
	}
	for _, load := range a.demoLoaders {
		if err := load(ctx, users); err != nil {
			return "", err
		}
	}
	return b.String(), nil
}
