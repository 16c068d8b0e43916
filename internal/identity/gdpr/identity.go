package gdpr

import (
	"context"
	"errors"
	"time"

	"github.com/arengo/arengo/internal/identity/verification"
	"github.com/arengo/arengo/internal/kernel"
)

// Identity exports the person's verified legal identity (decrypted: this
// archive is the one place it is shown, and only to the person), their
// verifications, desk checks and city-user requests.
func Identity(verif *verification.Service) Contributor {
	return Func{"identity", func(ctx context.Context, e *Export) error {
		id, err := verif.Identity(ctx, e.UserID)
		switch {
		case err == nil:
			var checked any
			if !id.CheckedAt.IsZero() {
				checked = Value(id.CheckedAt)
			}
			if err := e.JSON("legal_identity", map[string]any{
				"codice_fiscale": id.FiscalCode, "given_name": id.GivenName, "family_name": id.FamilyName,
				"birth_date": id.BirthDate.Format(time.DateOnly), "resident": id.Resident, "municipio": id.Municipio,
				"elector": id.Elector, "census_checked_at": checked, "linked_at": Value(id.LinkedAt),
			}); err != nil {
				return err
			}
		case !errors.Is(err, kernel.ErrNotFound):
			return err
		}
		vs, err := verif.List(ctx, e.UserID)
		if err != nil {
			return err
		}
		rows := make([][]any, 0, len(vs))
		for _, v := range vs {
			var exp any
			if !v.ExpiresAt.IsZero() {
				exp = v.ExpiresAt
			}
			rows = append(rows, []any{v.ID, string(v.Method), v.Level, v.VerifiedAt, exp, v.Details["office"]})
		}
		if err := e.Table("verifications", []string{"id", "method", "level", "verified_at", "expires_at", "office"}, rows); err != nil {
			return err
		}
		desk, err := verif.DeskRecords(ctx, e.DB.R(), e.UserID)
		if err != nil {
			return err
		}
		rows = rows[:0]
		for _, d := range desk {
			rows = append(rows, []any{d.VerificationID, d.Office, d.DocumentType, d.DocumentNumber, d.Notes, d.CreatedAt})
		}
		if err := e.Table("desk_verifications", []string{"verification_id", "office", "document_type", "document_number", "notes", "created_at"}, rows); err != nil {
			return err
		}
		return e.Query(ctx, "city_user_requests", `SELECT r.id, r.reason, r.details, COALESCE(t.name, '') AS territory, r.status, r.created_at,
			r.decided_at, r.decision_reason, r.expires_at
			FROM city_user_requests r LEFT JOIN territories t ON t.id = r.territory_id WHERE r.user_id = $1 ORDER BY r.id`, e.UserID)
	}}
}
