// Package notify is the in-app side of notifications: the rows other
// modules write into the notifications table (in the same transaction as
// the event, next to the email they queue) and the page where a participant
// reads them.
//
// A notification's text is the message "notify.<kind>" filled with its
// params; a param whose name ends in "_key" holds a message key and is
// translated into the reader's language.
package notify

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/arengo/arengo/internal/db"
	"github.com/arengo/arengo/internal/i18n"
	"github.com/arengo/arengo/internal/kernel"
)

// Notification is one stored notification.
type Notification struct {
	ID        int64
	Kind      string
	URL       string
	Params    map[string]string
	CreatedAt time.Time
	Read      bool
}

// Text renders n in locale.
func (n Notification) Text(cat *i18n.Catalog, locale string) string {
	args := make([]any, 0, 2*len(n.Params))
	for k, v := range n.Params {
		if strings.HasSuffix(k, "_key") {
			args = append(args, k, i18n.Key(v))
			continue
		}
		args = append(args, k, v)
	}
	key := "notify." + n.Kind
	if !cat.Has(locale, key) {
		key = "notify.generic"
	}
	return cat.T(locale, key, args...)
}

// Service reads and marks notifications.
type Service struct {
	db    *db.DB
	clock kernel.Clock
}

// New returns the service.
func New(d *db.DB, clock kernel.Clock) *Service { return &Service{db: d, clock: clock} }

// List returns userID's newest notifications (at most limit).
func (s *Service) List(ctx context.Context, userID int64, limit int) ([]Notification, error) {
	rows, err := s.db.R().QueryContext(ctx, `SELECT id, kind, url, params, created_at, read_at IS NOT NULL
		FROM notifications WHERE user_id = $1 ORDER BY id DESC LIMIT $2`, userID, limit)
	if err != nil {
		return nil, fmt.Errorf("notify: list: %w", err)
	}
	defer rows.Close()
	var out []Notification
	for rows.Next() {
		var n Notification
		var params string
		if err := rows.Scan(&n.ID, &n.Kind, &n.URL, &params, &n.CreatedAt, &n.Read); err != nil {
			return nil, err
		}
		n.Params = map[string]string{}
		var raw map[string]any
		if json.Unmarshal([]byte(params), &raw) == nil {
			for k, v := range raw {
				n.Params[k] = fmt.Sprint(v)
			}
		}
		out = append(out, n)
	}
	return out, rows.Err()
}

// Unread counts userID's unread notifications.
func (s *Service) Unread(ctx context.Context, userID int64) (int, error) {
	var n int
	err := s.db.R().QueryRowContext(ctx, `SELECT COUNT(*) FROM notifications WHERE user_id = $1 AND read_at IS NULL`, userID).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("notify: unread: %w", err)
	}
	return n, nil
}

// MarkAllRead marks every notification of userID read.
func (s *Service) MarkAllRead(ctx context.Context, userID int64) error {
	_, err := s.db.W().ExecContext(ctx, `UPDATE notifications SET read_at = $1 WHERE user_id = $2 AND read_at IS NULL`, s.clock.Now(), userID)
	if err != nil {
		return fmt.Errorf("notify: mark read: %w", err)
	}
	return nil
}
