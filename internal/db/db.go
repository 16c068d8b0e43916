// Package db opens the platform's database — embedded SQLite by default,
// PostgreSQL in production — and hides the few differences between them:
// connection pools, transactions, error normalisation and migrations.
//
// DML is shared between engines: placeholders are $1…$n numbered in order of
// first appearance (SQLite binds $NNN by first appearance too), times are
// passed in as UTC values from a kernel.Clock, never NOW().
package db

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	_ "modernc.org/sqlite"             // registers the "sqlite" driver
)

// Engine names a database engine.
type Engine string

// The supported engines.
const (
	SQLite   Engine = "sqlite"
	Postgres Engine = "postgres"
)

// Querier is what both *sql.DB and *sql.Tx offer; stores take it so the same
// code runs inside or outside a transaction.
type Querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// DB is an open database: a writer pool and a reader pool. On SQLite the
// writer is a single connection (SQLite allows one writer at a time; queueing
// in Go is cheaper than SQLITE_BUSY retries) and readers run in parallel
// thanks to WAL. On PostgreSQL both are the same pool.
type DB struct {
	Engine Engine
	w      *sql.DB
	r      *sql.DB
}

// Options tune the pools.
type Options struct {
	MaxReaders int // SQLite reader pool size / PostgreSQL pool size; default 8 / 20

	// WrapConnector, when set, wraps the connector of each pool, so every
	// connection the pools open goes through it. It exists for tests that
	// observe the statements a request sends (counting them proves a page
	// has no N+1); the application leaves it nil.
	WrapConnector func(driver.Connector) driver.Connector
}

// pool opens a connection pool on dsn through the registered driver name,
// its connector wrapped when opt asks. Without a wrapper it is sql.Open.
func (opt Options) pool(name, dsn string) (*sql.DB, error) {
	p, err := sql.Open(name, dsn)
	if err != nil || opt.WrapConnector == nil {
		return p, err
	}
	// sql.Open has not connected yet: closing it only drops the pool object.
	drv := p.Driver()
	_ = p.Close()
	var c driver.Connector = dsnConnector{dsn: dsn, drv: drv}
	if dc, ok := drv.(driver.DriverContext); ok {
		if c, err = dc.OpenConnector(dsn); err != nil {
			return nil, err
		}
	}
	return sql.OpenDB(opt.WrapConnector(c)), nil
}

// dsnConnector is the connector of a driver without one of its own (as in
// database/sql).
type dsnConnector struct {
	dsn string
	drv driver.Driver
}

func (c dsnConnector) Connect(context.Context) (driver.Conn, error) { return c.drv.Open(c.dsn) }
func (c dsnConnector) Driver() driver.Driver                        { return c.drv }

// Open opens the database named by dsn: "postgres://…" or "postgresql://…"
// for PostgreSQL; a file path, or "sqlite:path", or "file:path" for SQLite.
// The SQLite file's directory is created if missing.
func Open(ctx context.Context, dsn string, opt Options) (*DB, error) {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		return openPostgres(ctx, dsn, opt)
	}
	return openSQLite(ctx, dsn, opt)
}

func openSQLite(ctx context.Context, dsn string, opt Options) (*DB, error) {
	path := strings.TrimPrefix(strings.TrimPrefix(dsn, "sqlite:"), "file:")
	if i := strings.IndexByte(path, '?'); i >= 0 {
		path = path[:i]
	}
	if path == "" {
		return nil, errors.New("db: empty sqlite path")
	}
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return nil, fmt.Errorf("db: create directory: %w", err)
		}
	}
	// synchronous(FULL): a commit the user was told about survives power loss.
	common := "_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_pragma=synchronous(FULL)&_time_format=sqlite"
	w, err := opt.pool("sqlite", "file:"+url.PathEscape(path)+"?"+common+"&_pragma=journal_mode(WAL)&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("db: open sqlite writer: %w", err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	if err := w.PingContext(ctx); err != nil {
		w.Close()
		return nil, fmt.Errorf("db: ping sqlite: %w", err)
	}
	r, err := opt.pool("sqlite", "file:"+url.PathEscape(path)+"?"+common+"&_pragma=query_only(1)")
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("db: open sqlite readers: %w", err)
	}
	n := opt.MaxReaders
	if n <= 0 {
		n = 8
	}
	r.SetMaxOpenConns(n)
	r.SetMaxIdleConns(n)
	return &DB{Engine: SQLite, w: w, r: r}, nil
}

func openPostgres(ctx context.Context, dsn string, opt Options) (*DB, error) {
	p, err := opt.pool("pgx", dsn)
	if err != nil {
		return nil, fmt.Errorf("db: open postgres: %w", err)
	}
	n := opt.MaxReaders
	if n <= 0 {
		n = 20
	}
	p.SetMaxOpenConns(n)
	p.SetMaxIdleConns(n)
	p.SetConnMaxIdleTime(5 * time.Minute)
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := p.PingContext(pctx); err != nil {
		p.Close()
		return nil, fmt.Errorf("db: ping postgres: %w", err)
	}
	return &DB{Engine: Postgres, w: p, r: p}, nil
}

// W is the writer pool: use it for statements that write, and for reads that
// must see the caller's own just-committed writes.
func (d *DB) W() *sql.DB { return d.w }

// R is the reader pool.
func (d *DB) R() *sql.DB { return d.r }

// Close closes both pools.
func (d *DB) Close() error {
	err := d.w.Close()
	if d.r != d.w {
		err = errors.Join(err, d.r.Close())
	}
	return err
}

// Ping checks that the database answers (used by /readyz).
func (d *DB) Ping(ctx context.Context) error {
	return d.r.PingContext(ctx)
}

// Tx runs fn in a write transaction and commits it when fn returns nil. The
// error fn returns is passed through normalised (see Normalize).
func (d *DB) Tx(ctx context.Context, fn func(tx *sql.Tx) error) (err error) {
	tx, err := d.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("db: begin: %w", Normalize(err))
	}
	defer func() {
		if p := recover(); p != nil {
			_ = tx.Rollback()
			panic(p)
		}
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	if err = fn(tx); err != nil {
		return Normalize(err)
	}
	if err = tx.Commit(); err != nil {
		return fmt.Errorf("db: commit: %w", Normalize(err))
	}
	return nil
}

// Bool returns a literal for a boolean in DDL-free DML where a constant is needed.
func (d *DB) Bool(b bool) string {
	if d.Engine == Postgres {
		if b {
			return "TRUE"
		}
		return "FALSE"
	}
	if b {
		return "1"
	}
	return "0"
}
