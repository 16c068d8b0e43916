package verification

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/arengo/arengo/internal/audit"
	"github.com/arengo/arengo/internal/db"
	"github.com/arengo/arengo/internal/identity/census"
	"github.com/arengo/arengo/internal/identity/codicefiscale"
	"github.com/arengo/arengo/internal/kernel"
	"github.com/arengo/arengo/internal/secure"
)

// Options wire the census lists used by Recheck. Either may be nil (the
// municipality has no such list): that list is then not consulted.
type Options struct {
	Residents census.Source
	Electors  census.Source
}

// Service records verifications and legal identities.
type Service struct {
	db    *db.DB
	keys  *secure.Keyring
	clock kernel.Clock
	opt   Options
}

// New returns the service.
func New(d *db.DB, keys *secure.Keyring, clock kernel.Clock, opt Options) *Service {
	return &Service{db: d, keys: keys, clock: clock, opt: opt}
}

// Record stores a verification of userID.
func (s *Service) Record(ctx context.Context, userID int64, nv NewVerification) (Verification, error) {
	var v Verification
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		var err error
		v, err = s.RecordTx(ctx, tx, userID, nv)
		return err
	})
	return v, err
}

// RecordTx is Record inside the caller's transaction.
func (s *Service) RecordTx(ctx context.Context, tx *sql.Tx, userID int64, nv NewVerification) (Verification, error) {
	if !nv.Method.Valid() {
		return Verification{}, fmt.Errorf("verification: unknown method %q", nv.Method)
	}
	if nv.Method != MethodEmail && StrengthOf(nv.Method, nv.Level) == StrengthNone {
		return Verification{}, fmt.Errorf("verification: level %q is not valid for %s", nv.Level, nv.Method)
	}
	details, err := detailsJSON(nv.Details)
	if err != nil {
		return Verification{}, fmt.Errorf("verification: details: %w", err)
	}
	now := s.clock.Now()
	v := Verification{UserID: userID, Method: nv.Method, Level: nv.Level, VerifiedAt: now, ExpiresAt: nv.ExpiresAt, VerifiedBy: nv.VerifiedBy, Details: nv.Details}
	err = tx.QueryRowContext(ctx, `INSERT INTO verifications (user_id, method, level, verified_at, expires_at, verified_by, details)
		VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
		userID, string(nv.Method), nv.Level, now, nullTime(nv.ExpiresAt), nullID(nv.VerifiedBy), details).Scan(&v.ID)
	if err != nil {
		return Verification{}, fmt.Errorf("verification: record: %w", err)
	}
	return v, nil
}

// List returns userID's verifications, newest first.
func (s *Service) List(ctx context.Context, userID int64) ([]Verification, error) {
	rows, err := s.db.R().QueryContext(ctx, `SELECT id, user_id, method, level, verified_at, expires_at, COALESCE(verified_by, 0), details
		FROM verifications WHERE user_id = $1 ORDER BY verified_at DESC, id DESC`, userID)
	if err != nil {
		return nil, fmt.Errorf("verification: list: %w", err)
	}
	defer rows.Close()
	var out []Verification
	for rows.Next() {
		var v Verification
		var exp sql.NullTime
		var details string
		if err := rows.Scan(&v.ID, &v.UserID, &v.Method, &v.Level, &v.VerifiedAt, &exp, &v.VerifiedBy, &details); err != nil {
			return nil, fmt.Errorf("verification: list: %w", err)
		}
		v.ExpiresAt = exp.Time
		_ = json.Unmarshal([]byte(details), &v.Details)
		out = append(out, v)
	}
	return out, rows.Err()
}

// Strongest returns userID's strongest verification that has not expired
// (the most recent among equals), or kernel.ErrNotFound.
func (s *Service) Strongest(ctx context.Context, userID int64) (Verification, error) {
	all, err := s.List(ctx, userID)
	if err != nil {
		return Verification{}, err
	}
	now := s.clock.Now()
	best := -1
	for i, v := range all {
		if v.Active(now) && v.Strength() > StrengthNone && (best < 0 || v.Strength() > all[best].Strength()) {
			best = i
		}
	}
	if best < 0 {
		return Verification{}, fmt.Errorf("verification: none active: %w", kernel.ErrNotFound)
	}
	return all[best], nil
}

// PersonalData is a person's legal identity as a strong login (SPID, CIE,
// OIDC) or a desk check tells it.
type PersonalData struct {
	FiscalCode string
	GivenName  string
	FamilyName string
	BirthDate  time.Time
	// Email is the address the identity provider knows. It is not stored
	// here: the account's address is the participant's own choice.
	Email string
}

// Identity is a linked legal identity, decrypted.
type Identity struct {
	UserID     int64
	FiscalCode string
	GivenName  string
	FamilyName string
	BirthDate  time.Time
	Municipio  string
	Resident   bool
	Elector    bool
	CheckedAt  time.Time // zero: never checked against the census
	LinkedAt   time.Time
}

// MaxNameLen bounds names.
const MaxNameLen = 200

func (s *Service) validate(pd PersonalData) (codicefiscale.Info, error) {
	var v kernel.Validator
	info, err := codicefiscale.Parse(pd.FiscalCode, s.clock.Now())
	if err != nil {
		if strings.TrimSpace(pd.FiscalCode) == "" {
			v.Add("fiscal_code", "verification.error.fiscal_code_required")
		} else {
			v.Add("fiscal_code", "verification.error.fiscal_code_invalid")
		}
	}
	for field, name := range map[string]string{"given_name": pd.GivenName, "family_name": pd.FamilyName} {
		name = strings.TrimSpace(name)
		switch {
		case name == "":
			v.Add(field, "verification.error."+field+"_required")
		case utf8.RuneCountInString(name) > MaxNameLen || !utf8.ValidString(name):
			v.Add(field, "verification.error.name_too_long", "max", MaxNameLen)
		}
	}
	switch {
	case pd.BirthDate.IsZero():
		v.Add("birth_date", "verification.error.birth_date_required")
	case pd.BirthDate.After(s.clock.Now()) || pd.BirthDate.Year() < 1900:
		v.Add("birth_date", "verification.error.birth_date_invalid")
	}
	return info, v.Err()
}

// LinkIdentity stores pd as userID's legal identity, encrypted, keyed by the
// hash of the codice fiscale. Linking the same person again updates the
// names and birth date. It returns ErrIdentityTaken when the person already
// has another account — decided by the unique index on the hash, so of two
// accounts linking the same person at once exactly one wins — and
// ErrIdentityMismatch when userID is already linked to someone else.
// Invalid data is a *kernel.InvalidError (fields fiscal_code, given_name,
// family_name, birth_date).
func (s *Service) LinkIdentity(ctx context.Context, userID int64, pd PersonalData) (Identity, error) {
	var id Identity
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		var err error
		id, err = s.LinkIdentityTx(ctx, tx, userID, pd)
		return err
	})
	return id, err
}

// LinkIdentityTx is LinkIdentity inside the caller's transaction.
func (s *Service) LinkIdentityTx(ctx context.Context, tx *sql.Tx, userID int64, pd PersonalData) (Identity, error) {
	info, err := s.validate(pd)
	if err != nil {
		return Identity{}, err
	}
	now := s.clock.Now()
	hash := s.keys.Lookup(census.HashPurpose, info.Code)
	id := Identity{UserID: userID, FiscalCode: info.Code, GivenName: strings.TrimSpace(pd.GivenName), FamilyName: strings.TrimSpace(pd.FamilyName),
		BirthDate: civilDate(pd.BirthDate), LinkedAt: now}
	enc := map[string][]byte{}
	for col, val := range map[string]string{"fiscal_enc": id.FiscalCode, "given_name_enc": id.GivenName, "family_name_enc": id.FamilyName, "birth_date_enc": id.BirthDate.Format(time.DateOnly)} {
		if enc[col], err = s.keys.SealString(val, aad(col, userID)); err != nil {
			return Identity{}, err
		}
	}
	var existing string
	err = tx.QueryRowContext(ctx, `SELECT fiscal_hash FROM user_identities WHERE user_id = $1`, userID).Scan(&existing)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		_, err = tx.ExecContext(ctx, `INSERT INTO user_identities (user_id, fiscal_hash, fiscal_enc, given_name_enc, family_name_enc, birth_date_enc, linked_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $7)`, userID, hash, enc["fiscal_enc"], enc["given_name_enc"], enc["family_name_enc"], enc["birth_date_enc"], now)
		if err != nil {
			err = db.Normalize(err)
			if db.IsConflictOn(err, "fiscal_hash") {
				return Identity{}, ErrIdentityTaken
			}
			if errors.Is(err, kernel.ErrConflict) {
				// The same account linked twice at once; the other call won.
				return Identity{}, fmt.Errorf("verification: link: %w", err)
			}
			return Identity{}, fmt.Errorf("verification: link: %w", err)
		}
		return id, nil
	case err != nil:
		return Identity{}, fmt.Errorf("verification: link: %w", err)
	case existing != hash:
		return Identity{}, ErrIdentityMismatch
	}
	// Same person again (a new login): refresh what the provider told us.
	if _, err := tx.ExecContext(ctx, `UPDATE user_identities SET fiscal_enc = $1, given_name_enc = $2, family_name_enc = $3, birth_date_enc = $4, updated_at = $5
		WHERE user_id = $6`, enc["fiscal_enc"], enc["given_name_enc"], enc["family_name_enc"], enc["birth_date_enc"], now, userID); err != nil {
		return Identity{}, fmt.Errorf("verification: relink: %w", err)
	}
	return s.identityQ(ctx, tx, userID)
}

// Identity returns userID's linked identity, decrypted, or kernel.ErrNotFound.
func (s *Service) Identity(ctx context.Context, userID int64) (Identity, error) {
	return s.identityQ(ctx, s.db.R(), userID)
}

func (s *Service) identityQ(ctx context.Context, q db.Querier, userID int64) (Identity, error) {
	var id Identity
	var fiscal, given, family, birth []byte
	var checked sql.NullTime
	err := q.QueryRowContext(ctx, `SELECT user_id, fiscal_enc, given_name_enc, family_name_enc, birth_date_enc, municipio, resident, elector, checked_at, linked_at
		FROM user_identities WHERE user_id = $1`, userID).
		Scan(&id.UserID, &fiscal, &given, &family, &birth, &id.Municipio, &id.Resident, &id.Elector, &checked, &id.LinkedAt)
	if err != nil {
		return Identity{}, fmt.Errorf("verification: identity: %w", db.Normalize(err))
	}
	id.CheckedAt = checked.Time
	var bd string
	for _, f := range []struct {
		col string
		ct  []byte
		out *string
	}{{"fiscal_enc", fiscal, &id.FiscalCode}, {"given_name_enc", given, &id.GivenName}, {"family_name_enc", family, &id.FamilyName}, {"birth_date_enc", birth, &bd}} {
		if *f.out, err = s.keys.OpenString(f.ct, aad(f.col, userID)); err != nil {
			return Identity{}, fmt.Errorf("verification: decrypt %s of user %d: %w", f.col, userID, err)
		}
	}
	if id.BirthDate, err = time.Parse(time.DateOnly, bd); err != nil {
		return Identity{}, fmt.Errorf("verification: birth date of user %d: %w", userID, err)
	}
	return id, nil
}

// FindUserByFiscalCode returns the account linked to the person, or
// kernel.ErrNotFound. The look-up goes through the keyed hash.
func (s *Service) FindUserByFiscalCode(ctx context.Context, fiscalCode string) (int64, error) {
	var userID int64
	err := s.db.R().QueryRowContext(ctx, `SELECT user_id FROM user_identities WHERE fiscal_hash = $1`,
		s.keys.Lookup(census.HashPurpose, codicefiscale.Normalize(fiscalCode))).Scan(&userID)
	if err != nil {
		return 0, fmt.Errorf("verification: find by fiscal code: %w", db.Normalize(err))
	}
	return userID, nil
}

// Recheck asks the census lists whether userID's person is still resident
// (and where) and an elector, and stores the answer with the time of the
// check. It runs at each strong login. When a list cannot answer it
// returns an error wrapping census.ErrUnavailable and changes nothing: a
// registry outage must not make residents lose their rights.
func (s *Service) Recheck(ctx context.Context, userID int64) (Identity, error) {
	id, err := s.Identity(ctx, userID)
	if err != nil {
		return Identity{}, err
	}
	if s.opt.Residents == nil && s.opt.Electors == nil {
		return id, nil
	}
	resident, municipio, elector := id.Resident, id.Municipio, id.Elector
	if s.opt.Residents != nil {
		r, err := s.opt.Residents.Lookup(ctx, id.FiscalCode)
		if err != nil {
			return id, fmt.Errorf("verification: recheck residence: %w", err)
		}
		resident, municipio = r.Listed, r.Municipio
	}
	if s.opt.Electors != nil {
		r, err := s.opt.Electors.Lookup(ctx, id.FiscalCode)
		if err != nil {
			return id, fmt.Errorf("verification: recheck electoral roll: %w", err)
		}
		elector = r.Listed
	}
	now := s.clock.Now()
	if _, err := s.db.W().ExecContext(ctx, `UPDATE user_identities SET resident = $1, municipio = $2, elector = $3, checked_at = $4 WHERE user_id = $5`,
		resident, municipio, elector, now, userID); err != nil {
		return id, fmt.Errorf("verification: recheck: %w", err)
	}
	id.Resident, id.Municipio, id.Elector, id.CheckedAt = resident, municipio, elector, now
	return id, nil
}

// VerifyWithLogin is what a strong login does: link the identity and record
// the verification in one transaction, then re-check residence. A census
// outage is reported through recheckErr while the login itself succeeds.
func (s *Service) VerifyWithLogin(ctx context.Context, userID int64, pd PersonalData, nv NewVerification) (id Identity, recheckErr error, err error) {
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := s.LinkIdentityTx(ctx, tx, userID, pd); err != nil {
			return err
		}
		_, err := s.RecordTx(ctx, tx, userID, nv)
		return err
	})
	if err != nil {
		return Identity{}, nil, err
	}
	id, recheckErr = s.Recheck(ctx, userID)
	return id, recheckErr, nil
}

// Unlink removes userID's legal identity (account deletion; the person may
// then register again). Verifications go with the account.
func (s *Service) Unlink(ctx context.Context, q db.Querier, userID int64) error {
	if _, err := q.ExecContext(ctx, `DELETE FROM user_identities WHERE user_id = $1`, userID); err != nil {
		return fmt.Errorf("verification: unlink: %w", err)
	}
	return nil
}

// Document types accepted at the desk.
var DocumentTypes = []string{"cie", "identity_card", "passport", "driving_licence"}

// DeskInput is what staff at a municipal office record after checking a
// person's identity document.
type DeskInput struct {
	FiscalCode     string
	GivenName      string
	FamilyName     string
	BirthDate      time.Time
	DocumentType   string // one of DocumentTypes
	DocumentNumber string // stored encrypted
	Office         string // e.g. "URP Municipio 5"
	Notes          string
}

// Limits of desk input.
const (
	MaxDocumentNumberLen = 40
	MaxOfficeLen         = 200
	MaxNotesLen          = 2000
)

// RecordDesk records that staffID verified userID in person: the identity is
// linked (with the same one-person-one-account rule), a "desk" verification
// is recorded, and the act is audited — all in one transaction. The audit
// entry names the office and the document type, never the personal data.
// Staff cannot verify themselves (kernel.ErrForbidden).
func (s *Service) RecordDesk(ctx context.Context, staffID, userID int64, in DeskInput) (Verification, error) {
	if staffID == userID {
		return Verification{}, fmt.Errorf("verification: staff cannot verify themselves: %w", kernel.ErrForbidden)
	}
	pd := PersonalData{FiscalCode: in.FiscalCode, GivenName: in.GivenName, FamilyName: in.FamilyName, BirthDate: in.BirthDate}
	info, verr := s.validate(pd)
	var v kernel.Validator
	if ie, ok := kernel.AsInvalid(verr); ok {
		for _, f := range ie.Fields {
			v.Add(f.Field, f.Key, f.Args...)
		}
	}
	// A typo in the code or the date is the commonest desk mistake: the code
	// encodes the birth date, so the two must agree.
	if verr == nil && !sameBirthday(info.BirthDate, in.BirthDate) {
		v.Add("birth_date", "verification.error.birth_date_mismatch")
	}
	if !contains(DocumentTypes, in.DocumentType) {
		v.Add("document_type", "verification.error.document_type")
	}
	num := strings.TrimSpace(in.DocumentNumber)
	switch {
	case num == "":
		v.Add("document_number", "verification.error.document_number_required")
	case len(num) > MaxDocumentNumberLen:
		v.Add("document_number", "verification.error.document_number_too_long", "max", MaxDocumentNumberLen)
	}
	office := strings.TrimSpace(in.Office)
	switch {
	case office == "":
		v.Add("office", "verification.error.office_required")
	case utf8.RuneCountInString(office) > MaxOfficeLen:
		v.Add("office", "verification.error.office_too_long", "max", MaxOfficeLen)
	}
	if utf8.RuneCountInString(in.Notes) > MaxNotesLen {
		v.Add("notes", "verification.error.notes_too_long", "max", MaxNotesLen)
	}
	if err := v.Err(); err != nil {
		return Verification{}, err
	}
	var out Verification
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := s.LinkIdentityTx(ctx, tx, userID, pd); err != nil {
			return err
		}
		var err error
		out, err = s.RecordTx(ctx, tx, userID, NewVerification{Method: MethodDesk, VerifiedBy: staffID, Details: map[string]string{"office": office}})
		if err != nil {
			return err
		}
		docEnc, err := s.keys.SealString(num, aad("document_number_enc", userID))
		if err != nil {
			return err
		}
		now := s.clock.Now()
		var deskID int64
		if err := tx.QueryRowContext(ctx, `INSERT INTO desk_verifications (verification_id, user_id, staff_id, office, document_type, document_number_enc, notes, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
			out.ID, userID, staffID, office, in.DocumentType, docEnc, strings.TrimSpace(in.Notes), now).Scan(&deskID); err != nil {
			return fmt.Errorf("verification: desk: %w", err)
		}
		return audit.Record(ctx, tx, now, audit.Entry{
			Action: "verification.desk", TargetType: "user", TargetID: userID,
			After: map[string]any{"verification_id": out.ID, "desk_verification_id": deskID, "office": office, "document_type": in.DocumentType},
		})
	})
	if err != nil {
		return Verification{}, err
	}
	return out, nil
}

func sameBirthday(fromCode, declared time.Time) bool {
	return fromCode.Month() == declared.Month() && fromCode.Day() == declared.Day() && fromCode.Year()%100 == declared.Year()%100
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// aad binds a ciphertext to its column and row.
func aad(col string, userID int64) string { return col + ":" + strconv.FormatInt(userID, 10) }

func civilDate(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}
