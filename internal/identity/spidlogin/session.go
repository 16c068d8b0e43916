package spidlogin

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/arengo/arengo/internal/db"
	"github.com/arengo/arengo/internal/identity/spid"
)

// saveSAMLSession records the IdP session behind a local session (token
// hash), replacing any earlier one.
func saveSAMLSession(ctx context.Context, q db.Querier, tokenHash string, s SAMLSession, now time.Time) error {
	if _, err := q.ExecContext(ctx, `DELETE FROM session_saml WHERE token_hash = $1`, tokenHash); err != nil {
		return fmt.Errorf("spidlogin: save SAML session: %w", err)
	}
	_, err := q.ExecContext(ctx, `INSERT INTO session_saml (token_hash, idp_entity_id, name_id, name_qualifier, session_index, created_at)
		VALUES ($1, $2, $3, $4, $5, $6)`, tokenHash, s.IdPEntityID, s.NameID, s.NameQualifier, s.SessionIndex, now)
	if err != nil {
		return fmt.Errorf("spidlogin: save SAML session: %w", db.Normalize(err))
	}
	return nil
}

// samlSession returns the IdP session of a local session, if it has one.
func samlSession(ctx context.Context, q db.Querier, tokenHash string) (SAMLSession, bool, error) {
	var s SAMLSession
	err := q.QueryRowContext(ctx, `SELECT idp_entity_id, name_id, name_qualifier, session_index FROM session_saml WHERE token_hash = $1`, tokenHash).
		Scan(&s.IdPEntityID, &s.NameID, &s.NameQualifier, &s.SessionIndex)
	if errors.Is(err, sql.ErrNoRows) {
		return SAMLSession{}, false, nil
	}
	if err != nil {
		return SAMLSession{}, false, fmt.Errorf("spidlogin: SAML session: %w", err)
	}
	return s, true, nil
}

// endIdPSessions signs out every local session opened by the IdP session an
// IdP-initiated logout names. With a SessionIndex only that session ends;
// without one, every session of the subject at that IdP.
func endIdPSessions(ctx context.Context, d *db.DB, n spid.LogoutNotice) (int64, error) {
	var res sql.Result
	var err error
	if n.SessionIndex != "" {
		res, err = d.W().ExecContext(ctx, `DELETE FROM sessions WHERE token_hash IN
			(SELECT token_hash FROM session_saml WHERE idp_entity_id = $1 AND name_id = $2 AND session_index = $3)`, n.IdPEntityID, n.NameID, n.SessionIndex)
	} else {
		res, err = d.W().ExecContext(ctx, `DELETE FROM sessions WHERE token_hash IN
			(SELECT token_hash FROM session_saml WHERE idp_entity_id = $1 AND name_id = $2)`, n.IdPEntityID, n.NameID)
	}
	if err != nil {
		return 0, fmt.Errorf("spidlogin: end IdP sessions: %w", err)
	}
	return res.RowsAffected()
}
