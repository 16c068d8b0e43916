-- Identity (issue 3): verified legal identities (encrypted, looked up by a
-- keyed hash), verification records, census and electoral-roll imports
-- (hashed), city-user requests, desk verifications, and the eligibility
-- requirement administrators choose per component action.

-- The code a territory has in the census data ("5" for Municipio 5), so an
-- imported resident's Municipio can be compared with a space's territory.
ALTER TABLE territories ADD COLUMN census_code TEXT NOT NULL DEFAULT '';

CREATE TABLE census_imports (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('residents', 'electors')),
    row_count INTEGER NOT NULL,
    source TEXT NOT NULL DEFAULT '',
    sha256 TEXT NOT NULL DEFAULT '',
    imported_at TIMESTAMP NOT NULL,
    imported_by INTEGER REFERENCES users(id) ON DELETE SET NULL
);
CREATE INDEX census_imports_kind ON census_imports(kind, id);

-- One row per person in the current import; rows of older imports are
-- deleted in the transaction that commits a new one.
CREATE TABLE census_residents (
    import_id INTEGER NOT NULL REFERENCES census_imports(id) ON DELETE CASCADE,
    fiscal_hash TEXT NOT NULL,
    municipio TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (import_id, fiscal_hash)
);
CREATE INDEX census_residents_hash ON census_residents(fiscal_hash);

CREATE TABLE census_electors (
    import_id INTEGER NOT NULL REFERENCES census_imports(id) ON DELETE CASCADE,
    fiscal_hash TEXT NOT NULL,
    municipio TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (import_id, fiscal_hash)
);
CREATE INDEX census_electors_hash ON census_electors(fiscal_hash);

CREATE TABLE verifications (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    method TEXT NOT NULL CHECK (method IN ('email', 'spid', 'cie', 'oidc', 'desk')),
    level TEXT NOT NULL DEFAULT '',
    verified_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP,
    verified_by INTEGER REFERENCES users(id) ON DELETE SET NULL,
    details TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX verifications_user ON verifications(user_id, verified_at);

-- One person = one participant: fiscal_hash is unique, so two accounts can
-- never hold the same codice fiscale, however concurrent the links.
CREATE TABLE user_identities (
    user_id INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    fiscal_hash TEXT NOT NULL UNIQUE,
    fiscal_enc BLOB NOT NULL,
    given_name_enc BLOB NOT NULL,
    family_name_enc BLOB NOT NULL,
    birth_date_enc BLOB NOT NULL,
    municipio TEXT NOT NULL DEFAULT '',
    resident INTEGER NOT NULL DEFAULT 0,
    elector INTEGER NOT NULL DEFAULT 0,
    checked_at TIMESTAMP,
    linked_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE city_user_requests (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    reason TEXT NOT NULL CHECK (reason IN ('work', 'study', 'live')),
    details TEXT NOT NULL,
    territory_id INTEGER REFERENCES territories(id),
    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'rejected')),
    created_at TIMESTAMP NOT NULL,
    decided_by INTEGER REFERENCES users(id) ON DELETE SET NULL,
    decided_at TIMESTAMP,
    decision_reason TEXT NOT NULL DEFAULT '',
    expires_at TIMESTAMP,
    reminded_at TIMESTAMP
);
-- One pending request per person at a time.
CREATE UNIQUE INDEX city_user_requests_one_pending ON city_user_requests(user_id) WHERE status = 'pending';
CREATE INDEX city_user_requests_queue ON city_user_requests(status, created_at);
CREATE INDEX city_user_requests_expiry ON city_user_requests(status, expires_at);

CREATE TABLE desk_verifications (
    id INTEGER PRIMARY KEY,
    verification_id INTEGER NOT NULL REFERENCES verifications(id) ON DELETE CASCADE,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    staff_id INTEGER REFERENCES users(id) ON DELETE SET NULL,
    office TEXT NOT NULL,
    document_type TEXT NOT NULL CHECK (document_type IN ('cie', 'identity_card', 'passport', 'driving_licence')),
    document_number_enc BLOB NOT NULL,
    notes TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX desk_verifications_user ON desk_verifications(user_id);

CREATE TABLE eligibility_requirements (
    component_id INTEGER NOT NULL REFERENCES components(id) ON DELETE CASCADE,
    action TEXT NOT NULL,
    requirement TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    updated_by INTEGER REFERENCES users(id) ON DELETE SET NULL,
    PRIMARY KEY (component_id, action)
);
