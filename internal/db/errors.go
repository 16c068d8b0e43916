package db

import (
	"database/sql"
	"errors"
	"fmt"

	"github.com/arengo/arengo/internal/kernel"
	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
)

// SQLite extended result codes we translate (sqlite3.h).
const (
	sqliteConstraintPrimaryKey = 1555
	sqliteConstraintUnique     = 2067
)

// ConflictError is a unique-constraint violation; Constraint names the index
// when the driver tells us (PostgreSQL always does, SQLite gives the columns).
type ConflictError struct {
	Constraint string
	Err        error
}

func (e *ConflictError) Error() string { return "conflict on " + e.Constraint + ": " + e.Err.Error() }
func (e *ConflictError) Unwrap() error { return e.Err }

// Is makes errors.Is(err, kernel.ErrConflict) true.
func (e *ConflictError) Is(target error) bool { return target == kernel.ErrConflict }

// Normalize maps driver errors to the kernel's sentinels: sql.ErrNoRows to
// kernel.ErrNotFound and unique violations to kernel.ErrConflict (as a
// *ConflictError). Anything else is returned as is.
func Normalize(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%w: %w", kernel.ErrNotFound, err)
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23505" {
		return &ConflictError{Constraint: pgErr.ConstraintName, Err: err}
	}
	var sqErr *sqlite.Error
	if errors.As(err, &sqErr) {
		switch sqErr.Code() {
		case sqliteConstraintUnique, sqliteConstraintPrimaryKey:
			return &ConflictError{Constraint: sqErr.Error(), Err: err}
		}
	}
	return err
}

// IsConflictOn reports whether err is a unique violation whose constraint
// description mentions name (an index name on PostgreSQL, "table.column" on SQLite).
func IsConflictOn(err error, names ...string) bool {
	var ce *ConflictError
	if !errors.As(err, &ce) {
		return false
	}
	for _, n := range names {
		if n != "" && containsFold(ce.Constraint, n) {
			return true
		}
	}
	return false
}

func containsFold(s, sub string) bool {
	if len(sub) > len(s) {
		return false
	}
	for i := 0; i+len(sub) <= len(s); i++ {
		match := true
		for j := 0; j < len(sub); j++ {
			a, b := s[i+j], sub[j]
			if 'A' <= a && a <= 'Z' {
				a += 'a' - 'A'
			}
			if 'A' <= b && b <= 'Z' {
				b += 'a' - 'A'
			}
			if a != b {
				match = false
				break
			}
		}
		if match {
			return true
		}
	}
	return false
}
