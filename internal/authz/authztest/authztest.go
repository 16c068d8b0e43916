// Package authztest creates the rows authorization reads — accounts,
// processes with phases, components — straight in the database, so tests
// of authz, components and roles do not depend on other modules' services.
package authztest

import (
	"database/sql"
	"strings"
	"testing"
	"time"

	"github.com/arengo/arengo/internal/db"
	"github.com/arengo/arengo/internal/kernel"
)

// User describes an account to create.
type User struct {
	Nickname    string
	Admin       bool
	Unconfirmed bool
	Blocked     bool
	Deleted     bool
}

// CreateUser inserts an account and returns its ID.
func CreateUser(t testing.TB, d *db.DB, u User) int64 {
	t.Helper()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	at := func(set bool) sql.NullTime { return sql.NullTime{Time: now, Valid: set} }
	email := strings.ToLower(u.Nickname) + "@prova.it"
	var id int64
	err := d.W().QueryRow(`INSERT INTO users (email, email_key, email_confirmed_at, nickname, nickname_key, locale, is_admin, blocked_at, created_at, updated_at, deleted_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id`,
		email, email, at(!u.Unconfirmed), u.Nickname, strings.ToLower(u.Nickname), "it", u.Admin, at(u.Blocked), now, now, at(u.Deleted)).Scan(&id)
	if err != nil {
		t.Fatalf("create user %s: %v", u.Nickname, err)
	}
	return id
}

// Phase describes a phase to create.
type Phase struct {
	Title      string
	Start, End time.Time
}

// CreateProcess inserts a process with phases (in order) and returns the
// process ID and the phase IDs.
func CreateProcess(t testing.TB, d *db.DB, slug string, published bool, phases ...Phase) (int64, []int64) {
	t.Helper()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var id int64
	err := d.W().QueryRow(`INSERT INTO processes (slug, title, starts_on, ends_on, published_at, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id`,
		slug, kernel.Text{"it": "Processo " + slug, "en": "Process " + slug}, now, now.AddDate(1, 0, 0),
		sql.NullTime{Time: now, Valid: published}, now).Scan(&id)
	if err != nil {
		t.Fatalf("create process %s: %v", slug, err)
	}
	var ids []int64
	for i, ph := range phases {
		var pid int64
		err := d.W().QueryRow(`INSERT INTO phases (process_id, position, title, starts_at, ends_at) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
			id, i+1, kernel.Text{"it": ph.Title, "en": ph.Title}, ph.Start.UTC(), ph.End.UTC()).Scan(&pid)
		if err != nil {
			t.Fatalf("create phase %s: %v", ph.Title, err)
		}
		ids = append(ids, pid)
	}
	return id, ids
}

// Pin makes phaseID the process's current phase whatever the dates.
func Pin(t testing.TB, d *db.DB, processID, phaseID int64) {
	t.Helper()
	if _, err := d.W().Exec(`UPDATE processes SET pinned_phase_id = $1 WHERE id = $2`, phaseID, processID); err != nil {
		t.Fatalf("pin: %v", err)
	}
}

// Grant gives userID role in the process directly.
func Grant(t testing.TB, d *db.DB, processID, userID int64, role string) {
	t.Helper()
	_, err := d.W().Exec(`INSERT INTO space_roles (space_type, space_id, user_id, role, created_at) VALUES ($1, $2, $3, $4, $5)`,
		"process", processID, userID, role, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatalf("grant: %v", err)
	}
}
