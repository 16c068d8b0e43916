-- Comments on anything commentable, their versions and votes; moderation
-- (reports, hidden content); in-app notifications (mentions for now).
-- A commentable or reportable thing is a reference (ref_type, ref_id): the
-- owner component decides what it is, these tables never join to it.

CREATE TABLE comments (
    id INTEGER PRIMARY KEY,
    ref_type TEXT NOT NULL,
    ref_id INTEGER NOT NULL,
    parent_id INTEGER REFERENCES comments(id),
    depth INTEGER NOT NULL CHECK (depth BETWEEN 0 AND 3),
    author_id INTEGER REFERENCES users(id) ON DELETE SET NULL,
    alignment TEXT NOT NULL DEFAULT '' CHECK (alignment IN ('', 'favour', 'neutral', 'against')),
    body TEXT NOT NULL,
    mentions TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL,
    edited_at TIMESTAMP,
    deleted_at TIMESTAMP
);
CREATE INDEX comments_ref ON comments(ref_type, ref_id, id);
CREATE INDEX comments_parent ON comments(parent_id);
CREATE INDEX comments_author ON comments(author_id, created_at);

CREATE TABLE comment_versions (
    id INTEGER PRIMARY KEY,
    comment_id INTEGER NOT NULL REFERENCES comments(id) ON DELETE CASCADE,
    version INTEGER NOT NULL,
    body TEXT NOT NULL,
    alignment TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL,
    UNIQUE (comment_id, version)
);

CREATE TABLE comment_votes (
    comment_id INTEGER NOT NULL REFERENCES comments(id) ON DELETE CASCADE,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    value INTEGER NOT NULL CHECK (value IN (-1, 1)),
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (comment_id, user_id)
);
CREATE INDEX comment_votes_user ON comment_votes(user_id);

CREATE TABLE notifications (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    actor_id INTEGER REFERENCES users(id) ON DELETE SET NULL,
    ref_type TEXT NOT NULL DEFAULT '',
    ref_id INTEGER NOT NULL DEFAULT 0,
    url TEXT NOT NULL DEFAULT '',
    params TEXT NOT NULL DEFAULT '{}',
    created_at TIMESTAMP NOT NULL,
    read_at TIMESTAMP
);
CREATE INDEX notifications_user ON notifications(user_id, id);

CREATE TABLE moderation_items (
    id INTEGER PRIMARY KEY,
    ref_type TEXT NOT NULL,
    ref_id INTEGER NOT NULL,
    space_type TEXT NOT NULL DEFAULT '',
    space_id INTEGER NOT NULL DEFAULT 0,
    author_id INTEGER REFERENCES users(id) ON DELETE SET NULL,
    reports_count INTEGER NOT NULL DEFAULT 0,
    hidden_at TIMESTAMP,
    hidden_reason TEXT NOT NULL DEFAULT '',
    resolved_at TIMESTAMP,
    resolution TEXT NOT NULL DEFAULT '',
    resolved_by INTEGER REFERENCES users(id) ON DELETE SET NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (ref_type, ref_id)
);
CREATE INDEX moderation_items_open ON moderation_items(resolved_at, space_type, space_id);
CREATE INDEX moderation_items_hidden ON moderation_items(hidden_at);

CREATE TABLE moderation_reports (
    id INTEGER PRIMARY KEY,
    item_id INTEGER NOT NULL REFERENCES moderation_items(id) ON DELETE CASCADE,
    reporter_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    reason TEXT NOT NULL CHECK (reason IN ('spam', 'offensive', 'off_topic', 'other')),
    details TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL,
    reviewed_at TIMESTAMP,
    UNIQUE (item_id, reporter_id)
);
