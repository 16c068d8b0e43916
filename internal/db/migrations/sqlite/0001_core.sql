-- Core schema: participants, sessions, tokens, rate limits, outbox, audit log,
-- territories, processes, phases, Participation Pacts, components, roles.
-- Times are TIMESTAMP (UTC, written by the application); Text columns hold
-- kernel.Text JSON ({"it": "...", "en": "..."}).

CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    email TEXT,
    email_key TEXT UNIQUE,
    email_confirmed_at TIMESTAMP,
    password_hash TEXT,
    nickname TEXT,
    nickname_key TEXT UNIQUE,
    locale TEXT NOT NULL DEFAULT 'it',
    is_admin INTEGER NOT NULL DEFAULT 0,
    blocked_at TIMESTAMP,
    blocked_reason TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    deleted_at TIMESTAMP
);

CREATE TABLE user_tokens (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    purpose TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP
);
CREATE INDEX user_tokens_user ON user_tokens(user_id, purpose);

CREATE TABLE sessions (
    id INTEGER PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at TIMESTAMP NOT NULL,
    last_seen_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    user_agent TEXT NOT NULL DEFAULT ''
);
CREATE INDEX sessions_user ON sessions(user_id);
CREATE INDEX sessions_expires ON sessions(expires_at);

CREATE TABLE rate_limits (
    bucket TEXT NOT NULL,
    window_start TIMESTAMP NOT NULL,
    hits INTEGER NOT NULL,
    PRIMARY KEY (bucket, window_start)
);

CREATE TABLE outbox (
    id INTEGER PRIMARY KEY,
    to_address TEXT NOT NULL,
    locale TEXT NOT NULL,
    subject TEXT NOT NULL,
    body_text TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP NOT NULL,
    claimed_until TIMESTAMP,
    sent_at TIMESTAMP,
    last_error TEXT NOT NULL DEFAULT ''
);
CREATE INDEX outbox_pending ON outbox(sent_at, next_attempt_at);

CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY,
    at TIMESTAMP NOT NULL,
    actor_id INTEGER REFERENCES users(id) ON DELETE SET NULL,
    action TEXT NOT NULL,
    target_type TEXT NOT NULL,
    target_id INTEGER NOT NULL DEFAULT 0,
    space_type TEXT NOT NULL DEFAULT '',
    space_id INTEGER NOT NULL DEFAULT 0,
    before_json TEXT NOT NULL DEFAULT '',
    after_json TEXT NOT NULL DEFAULT '',
    request_id TEXT NOT NULL DEFAULT '',
    remote_addr TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_at ON audit_log(at);
CREATE INDEX audit_log_target ON audit_log(target_type, target_id);
CREATE INDEX audit_log_space ON audit_log(space_type, space_id);

CREATE TABLE territories (
    id INTEGER PRIMARY KEY,
    slug TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    parent_id INTEGER REFERENCES territories(id),
    position INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE processes (
    id INTEGER PRIMARY KEY,
    slug TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL,
    subtitle TEXT NOT NULL DEFAULT '{}',
    description TEXT NOT NULL DEFAULT '{}',
    territory_id INTEGER REFERENCES territories(id),
    starts_on TIMESTAMP NOT NULL,
    ends_on TIMESTAMP NOT NULL,
    published_at TIMESTAMP,
    pinned_phase_id INTEGER,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX processes_dates ON processes(starts_on, ends_on);

CREATE TABLE phases (
    id INTEGER PRIMARY KEY,
    process_id INTEGER NOT NULL REFERENCES processes(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    title TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '{}',
    starts_at TIMESTAMP NOT NULL,
    ends_at TIMESTAMP NOT NULL,
    UNIQUE (process_id, position)
);

CREATE TABLE pact_drafts (
    process_id INTEGER PRIMARY KEY REFERENCES processes(id) ON DELETE CASCADE,
    sections TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    updated_by INTEGER REFERENCES users(id) ON DELETE SET NULL
);

CREATE TABLE pact_versions (
    id INTEGER PRIMARY KEY,
    process_id INTEGER NOT NULL REFERENCES processes(id) ON DELETE CASCADE,
    version INTEGER NOT NULL,
    sections TEXT NOT NULL,
    change_note TEXT NOT NULL DEFAULT '',
    published_at TIMESTAMP NOT NULL,
    published_by INTEGER REFERENCES users(id) ON DELETE SET NULL,
    UNIQUE (process_id, version)
);

CREATE TABLE components (
    id INTEGER PRIMARY KEY,
    space_type TEXT NOT NULL,
    space_id INTEGER NOT NULL,
    type TEXT NOT NULL,
    name TEXT NOT NULL,
    position INTEGER NOT NULL DEFAULT 0,
    settings TEXT NOT NULL DEFAULT '{}',
    published_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX components_space ON components(space_type, space_id, position);

CREATE TABLE component_phase_actions (
    component_id INTEGER NOT NULL REFERENCES components(id) ON DELETE CASCADE,
    phase_id INTEGER NOT NULL REFERENCES phases(id) ON DELETE CASCADE,
    action TEXT NOT NULL,
    PRIMARY KEY (component_id, phase_id, action)
);

CREATE TABLE pages (
    component_id INTEGER PRIMARY KEY REFERENCES components(id) ON DELETE CASCADE,
    body TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE space_roles (
    id INTEGER PRIMARY KEY,
    space_type TEXT NOT NULL,
    space_id INTEGER NOT NULL,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    role TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (space_type, space_id, user_id, role)
);
CREATE INDEX space_roles_user ON space_roles(user_id);
