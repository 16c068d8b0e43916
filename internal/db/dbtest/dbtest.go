// Package dbtest opens real, migrated databases for tests: a fresh SQLite file
// always, and a fresh PostgreSQL schema too when ARENGO_TEST_POSTGRES_URL is set.
package dbtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"github.com/arengo/arengo/internal/db"
)

// EnvPostgres names the variable holding a PostgreSQL URL for tests.
const EnvPostgres = "ARENGO_TEST_POSTGRES_URL"

// Each runs fn as a subtest once per available engine ("sqlite", and
// "postgres" when configured), each time on a new migrated database.
func Each(t *testing.T, fn func(t *testing.T, d *db.DB)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) { fn(t, SQLite(t)) })
	if os.Getenv(EnvPostgres) != "" {
		t.Run("postgres", func(t *testing.T) { fn(t, Postgres(t)) })
	}
}

// Open returns one migrated database: PostgreSQL when ARENGO_TEST_POSTGRES_URL
// is set and ARENGO_TEST_ENGINE=postgres, else SQLite. Used by HTTP-level
// tests that need a single database.
func Open(t *testing.T) *db.DB {
	t.Helper()
	if os.Getenv("ARENGO_TEST_ENGINE") == "postgres" && os.Getenv(EnvPostgres) != "" {
		return Postgres(t)
	}
	return SQLite(t)
}

// SQLite opens a migrated database in a new file under t.TempDir().
func SQLite(t testing.TB) *db.DB {
	t.Helper()
	ctx := context.Background()
	d, err := db.Open(ctx, filepath.Join(t.TempDir(), "test.db"), db.Options{MaxReaders: 4})
	if err != nil {
		t.Fatalf("open sqlite: %v", err)
	}
	t.Cleanup(func() { d.Close() })
	if _, err := d.Migrate(ctx); err != nil {
		t.Fatalf("migrate sqlite: %v", err)
	}
	return d
}

// Postgres creates a new schema in the test server, opens a pool whose
// search_path is that schema, migrates it, and drops it at cleanup.
func Postgres(t testing.TB) *db.DB {
	t.Helper()
	d := PostgresURL(t)
	ctx := context.Background()
	pool, err := db.Open(ctx, d, db.Options{MaxReaders: 4})
	if err != nil {
		t.Fatalf("open postgres schema: %v", err)
	}
	t.Cleanup(func() { pool.Close() })
	if _, err := pool.Migrate(ctx); err != nil {
		t.Fatalf("migrate postgres: %v", err)
	}
	return pool
}

// PostgresURL creates a new, empty schema in the test server and returns a
// URL whose search_path is that schema; the schema is dropped at cleanup.
func PostgresURL(t testing.TB) string {
	t.Helper()
	base := os.Getenv(EnvPostgres)
	if base == "" {
		t.Skip(EnvPostgres + " not set")
	}
	ctx := context.Background()
	var b [6]byte
	_, _ = rand.Read(b[:])
	schema := "t_" + hex.EncodeToString(b[:])
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatalf("open postgres: %v", err)
	}
	defer admin.Close()
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("parse %s: %v", EnvPostgres, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	t.Cleanup(func() {
		a, err := sql.Open("pgx", base)
		if err == nil {
			_, _ = a.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
			a.Close()
		}
	})
	return u.String()
}
