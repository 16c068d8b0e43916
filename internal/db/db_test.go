package db_test

import (
	"context"
	"database/sql"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/arengo/arengo/internal/db"
	"github.com/arengo/arengo/internal/db/dbtest"
	"github.com/arengo/arengo/internal/kernel"
)

func TestMigrationsMatchAcrossEngines(t *testing.T) {
	s, err := db.Migrations(db.SQLite)
	if err != nil {
		t.Fatal(err)
	}
	p, err := db.Migrations(db.Postgres)
	if err != nil {
		t.Fatal(err)
	}
	if len(s) == 0 || len(s) != len(p) {
		t.Fatalf("sqlite has %d migrations, postgres %d", len(s), len(p))
	}
	for i := range s {
		if s[i].Version != p[i].Version {
			t.Errorf("migration %d: sqlite %s, postgres %s", i, s[i].Version, p[i].Version)
		}
	}
}

func TestStoreBasics(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		now := time.Date(2026, 11, 23, 10, 30, 0, 123456000, time.UTC)

		// Migrating again is a no-op.
		again, err := d.Migrate(ctx)
		if err != nil || len(again) != 0 {
			t.Fatalf("second migrate: %v %v", again, err)
		}

		var id int64
		err = d.W().QueryRowContext(ctx, `INSERT INTO users (email, email_key, nickname, nickname_key, locale, is_admin, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING id`, "A@x.it", "a@x.it", "Anna", "anna", "it", true, now).Scan(&id)
		if err != nil {
			t.Fatalf("insert: %v", err)
		}

		// Times and booleans round-trip on both engines.
		var got time.Time
		var admin bool
		if err := d.R().QueryRowContext(ctx, `SELECT created_at, is_admin FROM users WHERE id = $1`, id).Scan(&got, &admin); err != nil {
			t.Fatalf("select: %v", err)
		}
		if !got.Equal(now) || !admin {
			t.Fatalf("round trip: got %v %v, want %v true", got, admin, now)
		}

		// A unique violation is a conflict, by construction.
		_, err = d.W().ExecContext(ctx, `INSERT INTO users (email, email_key, nickname, nickname_key, locale, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $6)`, "a@x.it", "a@x.it", "Other", "other", "it", now)
		err = db.Normalize(err)
		if !errors.Is(err, kernel.ErrConflict) {
			t.Fatalf("duplicate email: want ErrConflict, got %v", err)
		}
		if !db.IsConflictOn(err, "email_key") {
			t.Fatalf("conflict should name email_key: %v", err)
		}

		// No rows is not found.
		err = db.Normalize(d.R().QueryRowContext(ctx, `SELECT id FROM users WHERE id = $1`, id+100).Scan(&id))
		if !errors.Is(err, kernel.ErrNotFound) {
			t.Fatalf("want ErrNotFound, got %v", err)
		}

		// A failing transaction leaves nothing behind.
		err = d.Tx(ctx, func(tx *sql.Tx) error {
			if _, err := tx.ExecContext(ctx, `INSERT INTO territories (slug, name, kind) VALUES ($1, $2, $3)`, "milano", `{"it":"Milano"}`, "comune"); err != nil {
				return err
			}
			return errors.New("boom")
		})
		if err == nil {
			t.Fatal("tx should fail")
		}
		var n int
		if err := d.R().QueryRowContext(ctx, `SELECT COUNT(*) FROM territories`).Scan(&n); err != nil || n != 0 {
			t.Fatalf("rolled back tx left %d rows (%v)", n, err)
		}
	})
}

// Concurrent inserts of the same key: exactly one wins, the rest conflict.
func TestConcurrentUniqueInsert(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		now := time.Now().UTC()
		var wg sync.WaitGroup
		var mu sync.Mutex
		ok, conflicts := 0, 0
		for i := 0; i < 12; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				err := d.Tx(ctx, func(tx *sql.Tx) error {
					_, err := tx.ExecContext(ctx, `INSERT INTO territories (slug, name, kind) VALUES ($1, $2, $3)`, "m1", `{"it":"Municipio 1"}`, "municipio")
					return err
				})
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					ok++
				case errors.Is(err, kernel.ErrConflict):
					conflicts++
				default:
					t.Errorf("unexpected: %v", err)
				}
			}()
		}
		wg.Wait()
		_ = now
		if ok != 1 || conflicts != 11 {
			t.Fatalf("ok=%d conflicts=%d", ok, conflicts)
		}
	})
}

// Two instances starting together on one PostgreSQL database: the advisory
// lock serialises them, every migration is applied exactly once.
func TestConcurrentMigrationsPostgres(t *testing.T) {
	url := dbtest.PostgresURL(t)
	ctx := context.Background()
	want, err := db.Migrations(db.Postgres)
	if err != nil {
		t.Fatal(err)
	}
	const instances = 4
	applied := make([][]string, instances)
	errs := make([]error, instances)
	var wg sync.WaitGroup
	for i := 0; i < instances; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d, err := db.Open(ctx, url, db.Options{MaxReaders: 2})
			if err != nil {
				errs[i] = err
				return
			}
			defer d.Close()
			applied[i], errs[i] = d.Migrate(ctx)
		}()
	}
	wg.Wait()
	total := 0
	for i := range errs {
		if errs[i] != nil {
			t.Fatalf("instance %d: %v", i, errs[i])
		}
		total += len(applied[i])
	}
	if total != len(want) {
		t.Fatalf("applied %d migrations across instances, want %d exactly once", total, len(want))
	}
}
