// Package mail delivers email through an outbox table: a message is written
// in the same transaction as the action that causes it (so it is never lost
// nor sent for a rolled-back action) and a background worker drains the
// outbox. Several instances can drain one database: rows are claimed with a
// lease before sending.
package mail

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/smtp"
	"strconv"
	"strings"
	"time"

	"github.com/arengo/arengo/internal/db"
	"github.com/arengo/arengo/internal/kernel"
)

// Message is one email, already translated into the recipient's language.
type Message struct {
	To      string
	Locale  string
	Subject string
	Body    string // plain text
}

// Enqueue stores m in the outbox using q (the caller's transaction).
func Enqueue(ctx context.Context, q db.Querier, now time.Time, m Message) error {
	if m.To == "" || m.Subject == "" {
		return errors.New("mail: recipient and subject are required")
	}
	_, err := q.ExecContext(ctx, `INSERT INTO outbox (to_address, locale, subject, body_text, created_at, next_attempt_at)
		VALUES ($1, $2, $3, $4, $5, $5)`, m.To, m.Locale, m.Subject, m.Body, now)
	if err != nil {
		return fmt.Errorf("mail: enqueue: %w", err)
	}
	return nil
}

// Sender delivers one message.
type Sender interface {
	Send(ctx context.Context, m Message) error
}

// SMTPSender sends through an SMTP server with STARTTLS when offered.
type SMTPSender struct {
	Host     string
	Port     int
	Username string
	Password string
	From     string
}

// Send implements Sender.
func (s SMTPSender) Send(ctx context.Context, m Message) error {
	addr := net.JoinHostPort(s.Host, strconv.Itoa(s.Port))
	var auth smtp.Auth
	if s.Username != "" {
		auth = smtp.PlainAuth("", s.Username, s.Password, s.Host)
	}
	return smtp.SendMail(addr, auth, envelopeAddress(s.From), []string{m.To}, Compose(s.From, m))
}

func envelopeAddress(from string) string {
	if i := strings.LastIndexByte(from, '<'); i >= 0 {
		return strings.TrimSuffix(from[i+1:], ">")
	}
	return from
}

// Compose renders m as an RFC 5322 message with a UTF-8 text body.
func Compose(from string, m Message) []byte {
	var b strings.Builder
	hdr := func(k, v string) { b.WriteString(k + ": " + v + "\r\n") }
	hdr("From", from)
	hdr("To", m.To)
	hdr("Subject", mimeWord(m.Subject))
	hdr("MIME-Version", "1.0")
	hdr("Content-Type", "text/plain; charset=utf-8")
	hdr("Content-Transfer-Encoding", "8bit")
	hdr("Content-Language", m.Locale)
	b.WriteString("\r\n")
	b.WriteString(strings.ReplaceAll(strings.ReplaceAll(m.Body, "\r\n", "\n"), "\n", "\r\n"))
	return []byte(b.String())
}

func mimeWord(s string) string {
	for _, r := range s {
		if r > 127 || r < 32 {
			return "=?utf-8?b?" + base64Std(s) + "?="
		}
	}
	return s
}

// HoldSender delivers nothing: with no SMTP server configured the messages
// are marked handled and stay readable in the outbox (the /dev/mail viewer
// in demo mode).
type HoldSender struct{ Log *slog.Logger }

// Send implements Sender.
func (h HoldSender) Send(ctx context.Context, m Message) error {
	h.Log.InfoContext(ctx, "mail held (no SMTP configured)", "subject", m.Subject)
	return nil
}

// Worker drains the outbox.
type Worker struct {
	DB       *db.DB
	Sender   Sender
	Clock    kernel.Clock
	Log      *slog.Logger
	Interval time.Duration // poll interval; default 2s
	Lease    time.Duration // how long a claim lasts; default 2m
}

// maxAttempts after which a message is left failed for an operator to see.
const maxAttempts = 8

// Run drains until ctx is cancelled.
func (w *Worker) Run(ctx context.Context) {
	interval := w.Interval
	if interval <= 0 {
		interval = 2 * time.Second
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if _, err := w.DrainOnce(ctx, 20); err != nil && ctx.Err() == nil {
			w.Log.ErrorContext(ctx, "outbox drain failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// DrainOnce claims and sends up to n due messages; it returns how many were sent.
func (w *Worker) DrainOnce(ctx context.Context, n int) (int, error) {
	lease := w.Lease
	if lease <= 0 {
		lease = 2 * time.Minute
	}
	sent := 0
	for i := 0; i < n; i++ {
		now := w.Clock.Now()
		var id int64
		var m Message
		var attempts int
		// Claim one due message. The conditional UPDATE is the lock: only one
		// instance's UPDATE matches a given unclaimed row.
		err := w.DB.W().QueryRowContext(ctx, `UPDATE outbox SET claimed_until = $1, attempts = attempts + 1
			WHERE id = (SELECT id FROM outbox WHERE sent_at IS NULL AND attempts < $2 AND next_attempt_at <= $3
			            AND (claimed_until IS NULL OR claimed_until < $3) ORDER BY id LIMIT 1)
			  AND (claimed_until IS NULL OR claimed_until < $3)
			RETURNING id, to_address, locale, subject, body_text, attempts`,
			now.Add(lease), maxAttempts, now).Scan(&id, &m.To, &m.Locale, &m.Subject, &m.Body, &attempts)
		if errors.Is(err, sql.ErrNoRows) {
			return sent, nil
		}
		if err != nil {
			return sent, fmt.Errorf("mail: claim: %w", err)
		}
		if err := w.Sender.Send(ctx, m); err != nil {
			backoff := time.Duration(1<<min(attempts, 10)) * 30 * time.Second
			_, uerr := w.DB.W().ExecContext(ctx, `UPDATE outbox SET claimed_until = NULL, next_attempt_at = $1, last_error = $2 WHERE id = $3`,
				now.Add(backoff), truncate(err.Error(), 500), id)
			w.Log.WarnContext(ctx, "mail send failed", "id", id, "attempt", attempts, "err", err)
			if uerr != nil {
				return sent, uerr
			}
			continue
		}
		if _, err := w.DB.W().ExecContext(ctx, `UPDATE outbox SET sent_at = $1, claimed_until = NULL, last_error = '' WHERE id = $2`, w.Clock.Now(), id); err != nil {
			return sent, fmt.Errorf("mail: mark sent: %w", err)
		}
		sent++
	}
	return sent, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

// Stored is an outbox row, for the development viewer and tests.
type Stored struct {
	ID        int64
	To        string
	Locale    string
	Subject   string
	Body      string
	CreatedAt time.Time
	SentAt    sql.NullTime
	Attempts  int
	LastError string
}

// Recent lists the newest outbox rows.
func Recent(ctx context.Context, d *db.DB, limit int) ([]Stored, error) {
	rows, err := d.R().QueryContext(ctx, `SELECT id, to_address, locale, subject, body_text, created_at, sent_at, attempts, last_error
		FROM outbox ORDER BY id DESC LIMIT $1`, limit)
	if err != nil {
		return nil, fmt.Errorf("mail: recent: %w", err)
	}
	defer rows.Close()
	var out []Stored
	for rows.Next() {
		var s Stored
		if err := rows.Scan(&s.ID, &s.To, &s.Locale, &s.Subject, &s.Body, &s.CreatedAt, &s.SentAt, &s.Attempts, &s.LastError); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// Get returns one outbox row.
func Get(ctx context.Context, d *db.DB, id int64) (Stored, error) {
	var s Stored
	err := d.R().QueryRowContext(ctx, `SELECT id, to_address, locale, subject, body_text, created_at, sent_at, attempts, last_error
		FROM outbox WHERE id = $1`, id).Scan(&s.ID, &s.To, &s.Locale, &s.Subject, &s.Body, &s.CreatedAt, &s.SentAt, &s.Attempts, &s.LastError)
	if err != nil {
		return s, fmt.Errorf("mail: get %d: %w", id, db.Normalize(err))
	}
	return s, nil
}
