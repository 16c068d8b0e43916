// Package audit records every administrative action — who, what, when, and
// the values before and after — in the same transaction as the change, so
// the log cannot miss a committed action nor show one that was rolled back.
package audit

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/arengo/arengo/internal/db"
	"github.com/arengo/arengo/internal/kernel"
)

// Entry is one administrative action.
type Entry struct {
	Action     string // e.g. "process.create", "pact.publish", "role.assign"
	TargetType string // e.g. "process"
	TargetID   int64
	SpaceType  string // the space the action belongs to, for space admins' views
	SpaceID    int64
	Before     any // marshalled to JSON; nil for creations
	After      any // nil for deletions
}

// Record writes e with the actor from ctx, at time now, using q (pass the
// transaction that makes the change).
func Record(ctx context.Context, q db.Querier, now time.Time, e Entry) error {
	a := kernel.ActorFrom(ctx)
	before, err := toJSON(e.Before)
	if err != nil {
		return err
	}
	after, err := toJSON(e.After)
	if err != nil {
		return err
	}
	var actor any
	if a.UserID != 0 {
		actor = a.UserID
	}
	_, err = q.ExecContext(ctx, `INSERT INTO audit_log (at, actor_id, action, target_type, target_id, space_type, space_id, before_json, after_json, request_id, remote_addr)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
		now, actor, e.Action, e.TargetType, e.TargetID, e.SpaceType, e.SpaceID, before, after, a.RequestID, a.RemoteAddr)
	if err != nil {
		return fmt.Errorf("audit: record %s: %w", e.Action, err)
	}
	return nil
}

func toJSON(v any) (string, error) {
	if v == nil {
		return "", nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("audit: marshal: %w", err)
	}
	return string(b), nil
}

// Row is a stored entry, as listed to administrators.
type Row struct {
	ID            int64
	At            time.Time
	ActorID       int64
	ActorNickname string
	Action        string
	TargetType    string
	TargetID      int64
	SpaceType     string
	SpaceID       int64
	Before        string
	After         string
	RequestID     string
}

// Filter narrows a listing.
type Filter struct {
	SpaceType string
	SpaceID   int64
	Action    string // prefix match, e.g. "process."
	BeforeID  int64  // keyset pagination: entries with id < BeforeID
	Limit     int
}

// List returns entries newest first.
func List(ctx context.Context, d *db.DB, f Filter) ([]Row, error) {
	if f.Limit <= 0 || f.Limit > 200 {
		f.Limit = 50
	}
	q := `SELECT a.id, a.at, COALESCE(a.actor_id, 0), COALESCE(u.nickname, ''), a.action, a.target_type, a.target_id,
		a.space_type, a.space_id, a.before_json, a.after_json, a.request_id
		FROM audit_log a LEFT JOIN users u ON u.id = a.actor_id WHERE 1=1`
	var args []any
	arg := func(v any) string { args = append(args, v); return fmt.Sprintf("$%d", len(args)) }
	if f.SpaceType != "" {
		q += " AND a.space_type = " + arg(f.SpaceType) + " AND a.space_id = " + arg(f.SpaceID)
	}
	if f.Action != "" {
		q += " AND a.action LIKE " + arg(f.Action+"%")
	}
	if f.BeforeID > 0 {
		q += " AND a.id < " + arg(f.BeforeID)
	}
	q += " ORDER BY a.id DESC LIMIT " + arg(f.Limit)
	rows, err := d.R().QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("audit: list: %w", err)
	}
	defer rows.Close()
	var out []Row
	for rows.Next() {
		var r Row
		if err := rows.Scan(&r.ID, &r.At, &r.ActorID, &r.ActorNickname, &r.Action, &r.TargetType, &r.TargetID,
			&r.SpaceType, &r.SpaceID, &r.Before, &r.After, &r.RequestID); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}
