-- SPID and OpenID Connect login (issue 3): issued SAML requests, the
-- hash-chained authentication log AgID requires for 24 months, the IdP
-- session behind a local session (for single logout), strong logins waiting
-- for the participant to choose a nickname, and OpenID Connect states.

-- A request lives until its response arrives; Consume deletes it, which is
-- what makes a response usable once.
CREATE TABLE spid_requests (
    id TEXT PRIMARY KEY,
    purpose TEXT NOT NULL CHECK (purpose IN ('login', 'logout')),
    idp_entity_id TEXT NOT NULL,
    level INTEGER NOT NULL,
    attribute_index INTEGER NOT NULL,
    relay_state TEXT NOT NULL,
    browser_binding TEXT NOT NULL,
    return_to TEXT NOT NULL,
    issued_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    request_xml BYTEA NOT NULL
);
CREATE INDEX spid_requests_expires ON spid_requests(expires_at);

-- seq is assigned as max(seq)+1 inside the appending transaction; hash =
-- sha256(prev_hash || record), so editing or deleting a row shows.
CREATE TABLE spid_auth_log (
    seq BIGINT PRIMARY KEY,
    request_id TEXT NOT NULL,
    response_id TEXT NOT NULL,
    idp_entity_id TEXT NOT NULL,
    outcome TEXT NOT NULL,
    request_xml BYTEA NOT NULL,
    response_xml BYTEA NOT NULL,
    requested_at TIMESTAMPTZ NOT NULL,
    responded_at TIMESTAMPTZ NOT NULL,
    prev_hash BYTEA NOT NULL,
    hash BYTEA NOT NULL UNIQUE
);
CREATE INDEX spid_auth_log_responded ON spid_auth_log(responded_at);

-- The IdP session of a local session, for single logout. Kept apart from
-- sessions so the account module's table stays its own; it goes when the
-- session goes.
CREATE TABLE session_saml (
    token_hash TEXT PRIMARY KEY REFERENCES sessions(token_hash) ON DELETE CASCADE,
    idp_entity_id TEXT NOT NULL,
    name_id TEXT NOT NULL,
    name_qualifier TEXT NOT NULL,
    session_index TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX session_saml_subject ON session_saml(idp_entity_id, name_id);

-- A verified person between the identity provider and the platform: the
-- browser holds the token, the row holds what the provider said, encrypted.
CREATE TABLE strong_login_pending (
    token_hash TEXT PRIMARY KEY,
    method TEXT NOT NULL,
    level TEXT NOT NULL,
    provider TEXT NOT NULL,
    data_enc BYTEA NOT NULL,
    return_to TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX strong_login_pending_expires ON strong_login_pending(expires_at);

-- OpenID Connect authorization requests: state, nonce and PKCE verifier stay
-- on the server, bound to the browser that started the login.
CREATE TABLE oidc_states (
    state TEXT PRIMARY KEY,
    browser_binding TEXT NOT NULL,
    nonce TEXT NOT NULL,
    code_verifier TEXT NOT NULL,
    return_to TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX oidc_states_expires ON oidc_states(expires_at);
