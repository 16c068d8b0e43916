package verification

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/arengo/arengo/internal/db"
)

// Erase removes everything this package keeps about userID — the legal
// identity, the verification records and the desk checks with their
// document numbers — inside the account deletion's transaction (see
// identity.Service.OnErase). Desk checks the person made as staff stay:
// they are the verified people's records, not the officer's.
func (s *Service) Erase(ctx context.Context, tx *sql.Tx, userID int64) error {
	for _, q := range []string{
		`DELETE FROM desk_verifications WHERE user_id = $1`,
		`DELETE FROM verifications WHERE user_id = $1`,
		`DELETE FROM user_identities WHERE user_id = $1`,
	} {
		if _, err := tx.ExecContext(ctx, q, userID); err != nil {
			return fmt.Errorf("verification: erase %d: %w", userID, err)
		}
	}
	return nil
}

// DeskRecord is an in-person check of a person, decrypted (for the person's
// own data export).
type DeskRecord struct {
	ID             int64
	VerificationID int64
	StaffID        int64
	Office         string
	DocumentType   string
	DocumentNumber string
	Notes          string
	CreatedAt      time.Time
}

// DeskRecords returns the in-person checks of userID, oldest first.
func (s *Service) DeskRecords(ctx context.Context, q db.Querier, userID int64) ([]DeskRecord, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, verification_id, COALESCE(staff_id, 0), office, document_type, document_number_enc, notes, created_at
		FROM desk_verifications WHERE user_id = $1 ORDER BY id`, userID)
	if err != nil {
		return nil, fmt.Errorf("verification: desk records: %w", err)
	}
	defer rows.Close()
	var out []DeskRecord
	for rows.Next() {
		var d DeskRecord
		var enc []byte
		if err := rows.Scan(&d.ID, &d.VerificationID, &d.StaffID, &d.Office, &d.DocumentType, &enc, &d.Notes, &d.CreatedAt); err != nil {
			return nil, fmt.Errorf("verification: desk records: %w", err)
		}
		if d.DocumentNumber, err = s.keys.OpenString(enc, aad("document_number_enc", userID)); err != nil {
			return nil, fmt.Errorf("verification: decrypt document number of user %d: %w", userID, err)
		}
		out = append(out, d)
	}
	return out, rows.Err()
}
