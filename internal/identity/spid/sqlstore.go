package spid

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/arengo/arengo/internal/db"
)

// SQLRequestStore is the RequestStore on the platform database (table
// spid_requests, migration 0050_spid): requests survive restarts and are
// shared by every instance on one database.
type SQLRequestStore struct {
	DB *db.DB
	// Clock decides expiry; the same clock as Options.Clock.
	Clock func() time.Time
}

// Save implements RequestStore.
func (s *SQLRequestStore) Save(ctx context.Context, st RequestState) error {
	_, err := s.DB.W().ExecContext(ctx, `INSERT INTO spid_requests (id, purpose, idp_entity_id, level, attribute_index, relay_state,
		browser_binding, return_to, issued_at, expires_at, request_xml) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
		st.ID, string(st.Purpose), st.IdPEntityID, int(st.Level), st.AttributeIndex, st.RelayState,
		st.BrowserBinding, st.ReturnTo, st.IssuedAt.UTC(), st.ExpiresAt.UTC(), nonNil(st.RequestXML))
	if err != nil {
		return fmt.Errorf("spid: save request: %w", db.Normalize(err))
	}
	return nil
}

// Consume implements RequestStore. The single DELETE … RETURNING is what
// makes a response usable once: of two concurrent consumers of one ID, the
// database gives the row to exactly one. An expired row is deleted too.
func (s *SQLRequestStore) Consume(ctx context.Context, id string) (RequestState, error) {
	var st RequestState
	var purpose string
	var level int
	err := s.DB.W().QueryRowContext(ctx, `DELETE FROM spid_requests WHERE id = $1
		RETURNING id, purpose, idp_entity_id, level, attribute_index, relay_state, browser_binding, return_to, issued_at, expires_at, request_xml`, id).
		Scan(&st.ID, &purpose, &st.IdPEntityID, &level, &st.AttributeIndex, &st.RelayState, &st.BrowserBinding, &st.ReturnTo, &st.IssuedAt, &st.ExpiresAt, &st.RequestXML)
	if errors.Is(err, sql.ErrNoRows) {
		return RequestState{}, ErrRequestNotFound
	}
	if err != nil {
		return RequestState{}, fmt.Errorf("spid: consume request: %w", db.Normalize(err))
	}
	if !s.Clock().Before(st.ExpiresAt) {
		return RequestState{}, ErrRequestNotFound
	}
	st.Purpose, st.Level = Purpose(purpose), Level(level)
	st.IssuedAt, st.ExpiresAt = st.IssuedAt.UTC(), st.ExpiresAt.UTC()
	return st, nil
}

// Sweep deletes requests whose response never came.
func (s *SQLRequestStore) Sweep(ctx context.Context) error {
	if _, err := s.DB.W().ExecContext(ctx, `DELETE FROM spid_requests WHERE expires_at < $1`, s.Clock().UTC()); err != nil {
		return fmt.Errorf("spid: sweep requests: %w", err)
	}
	return nil
}

// AuthLogRetention is how long AgID wants authentication records kept.
const AuthLogRetention = 24 * 30 * 24 * time.Hour // 24 months, rounded to 720 days

// authLogLockKey serialises appends on PostgreSQL (the SQLite writer is
// already single).
const authLogLockKey = 0x7370_6964_6c6f67 // "spidlog"

// SQLAuthLog is the AuthLog on the platform database (table spid_auth_log,
// migration 0050_spid): one hash chain across every instance.
type SQLAuthLog struct {
	DB *db.DB
	// Clock decides retention in Sweep.
	Clock func() time.Time
}

// Append implements AuthLog: it reads the last hash and inserts the new
// record in one transaction, so concurrent logins still form one chain.
func (l *SQLAuthLog) Append(ctx context.Context, r Record) error {
	// The database keeps microseconds: hash what will be read back.
	r.RequestedAt = r.RequestedAt.UTC().Truncate(time.Microsecond)
	r.RespondedAt = r.RespondedAt.UTC().Truncate(time.Microsecond)
	err := l.DB.Tx(ctx, func(tx *sql.Tx) error {
		if l.DB.Engine == db.Postgres {
			if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(authLogLockKey)); err != nil {
				return err
			}
		}
		var last int64
		prev := []byte{}
		err := tx.QueryRowContext(ctx, `SELECT seq, hash FROM spid_auth_log ORDER BY seq DESC LIMIT 1`).Scan(&last, &prev)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		r.Seq = last + 1
		r.PrevHash = prev
		r.Hash = ChainHash(prev, r)
		_, err = tx.ExecContext(ctx, `INSERT INTO spid_auth_log (seq, request_id, response_id, idp_entity_id, outcome, request_xml, response_xml,
			requested_at, responded_at, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
			r.Seq, r.RequestID, r.ResponseID, r.IdPEntityID, r.Outcome, nonNil(r.RequestXML), nonNil(r.ResponseXML),
			r.RequestedAt, r.RespondedAt, nonNil(r.PrevHash), r.Hash)
		return err
	})
	if err != nil {
		return fmt.Errorf("spid: append auth log: %w", err)
	}
	return nil
}

// nonNil keeps NOT NULL blob columns happy: database/sql sends a nil slice
// as NULL.
func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

// Records returns the chain in order (for verification and export).
func (l *SQLAuthLog) Records(ctx context.Context) ([]Record, error) {
	rows, err := l.DB.R().QueryContext(ctx, `SELECT seq, request_id, response_id, idp_entity_id, outcome, request_xml, response_xml,
		requested_at, responded_at, prev_hash, hash FROM spid_auth_log ORDER BY seq`)
	if err != nil {
		return nil, fmt.Errorf("spid: auth log: %w", err)
	}
	defer rows.Close()
	var out []Record
	for rows.Next() {
		var r Record
		if err := rows.Scan(&r.Seq, &r.RequestID, &r.ResponseID, &r.IdPEntityID, &r.Outcome, &r.RequestXML, &r.ResponseXML,
			&r.RequestedAt, &r.RespondedAt, &r.PrevHash, &r.Hash); err != nil {
			return nil, fmt.Errorf("spid: auth log: %w", err)
		}
		r.RequestedAt, r.RespondedAt = r.RequestedAt.UTC(), r.RespondedAt.UTC()
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("spid: auth log: %w", err)
	}
	return out, nil
}

// Verify checks the whole chain; it returns an error wrapping
// ErrChainBroken when a row was altered, inserted or removed.
func (l *SQLAuthLog) Verify(ctx context.Context) error {
	recs, err := l.Records(ctx)
	if err != nil {
		return err
	}
	return VerifyChain(recs)
}

// Sweep prunes records older than AuthLogRetention from the head of the
// chain only, and always keeps the newest record, so the chain stays
// verifiable from the first remaining row (anchored on its prev_hash).
func (l *SQLAuthLog) Sweep(ctx context.Context) error {
	cutoff := l.Clock().UTC().Add(-AuthLogRetention)
	_, err := l.DB.W().ExecContext(ctx, `DELETE FROM spid_auth_log WHERE seq < COALESCE(
		(SELECT MIN(seq) FROM spid_auth_log WHERE responded_at >= $1),
		(SELECT MAX(seq) FROM spid_auth_log))`, cutoff)
	if err != nil {
		return fmt.Errorf("spid: sweep auth log: %w", err)
	}
	return nil
}
