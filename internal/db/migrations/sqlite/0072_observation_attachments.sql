-- An observation's attachment (issue 4): one PDF per observation, kept in
-- the database so every instance serves it and backups include it. Editing
-- replaces or removes it; the audit log keeps the old one's name and hash
-- (the versions keep the texts only). version is the observation version
-- that attached it.
CREATE TABLE consultation_observation_attachments (
    id INTEGER PRIMARY KEY,
    observation_id INTEGER NOT NULL UNIQUE REFERENCES consultation_observations(id) ON DELETE CASCADE,
    version INTEGER NOT NULL,
    file_name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size INTEGER NOT NULL CHECK (size > 0),
    sha256 TEXT NOT NULL,
    data BLOB NOT NULL,
    created_at TIMESTAMP NOT NULL
);
