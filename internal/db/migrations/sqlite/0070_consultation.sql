-- Consultations on documents (issue 4): the document split into sections
-- and numbered paragraphs (kept across imported versions), formal
-- observations with protocol numbers and versions, supports, official
-- replies published together, linked attachments.
-- Observations are commentable and reportable as ("observation", id) through
-- the comments and moderation tables; in-app notices reuse notifications.

CREATE TABLE consultations (
    component_id INTEGER PRIMARY KEY REFERENCES components(id) ON DELETE CASCADE,
    protocol_prefix TEXT NOT NULL,
    max_observation_length INTEGER NOT NULL,
    outcome_labels TEXT NOT NULL DEFAULT '{}',
    document_version INTEGER NOT NULL DEFAULT 0,
    document_title TEXT NOT NULL DEFAULT '{}',
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE consultation_document_versions (
    id INTEGER PRIMARY KEY,
    component_id INTEGER NOT NULL REFERENCES components(id) ON DELETE CASCADE,
    version INTEGER NOT NULL,
    source TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    sections_count INTEGER NOT NULL,
    paragraphs_count INTEGER NOT NULL,
    imported_at TIMESTAMP NOT NULL,
    imported_by INTEGER REFERENCES users(id) ON DELETE SET NULL,
    UNIQUE (component_id, version)
);

CREATE TABLE consultation_sections (
    id INTEGER PRIMARY KEY,
    component_id INTEGER NOT NULL REFERENCES components(id) ON DELETE CASCADE,
    number INTEGER NOT NULL,
    label TEXT NOT NULL DEFAULT '',
    title TEXT NOT NULL DEFAULT '{}',
    position INTEGER NOT NULL,
    retired_at TIMESTAMP,
    UNIQUE (component_id, number)
);

CREATE TABLE consultation_paragraphs (
    id INTEGER PRIMARY KEY,
    component_id INTEGER NOT NULL REFERENCES components(id) ON DELETE CASCADE,
    section_id INTEGER NOT NULL REFERENCES consultation_sections(id) ON DELETE CASCADE,
    number INTEGER NOT NULL,
    body TEXT NOT NULL,
    position INTEGER NOT NULL,
    added_version INTEGER NOT NULL,
    changed_version INTEGER NOT NULL,
    retired_at TIMESTAMP,
    UNIQUE (section_id, number)
);
CREATE INDEX consultation_paragraphs_doc ON consultation_paragraphs(component_id, position);

CREATE TABLE consultation_protocol_counters (
    component_id INTEGER NOT NULL REFERENCES components(id) ON DELETE CASCADE,
    year INTEGER NOT NULL,
    last INTEGER NOT NULL,
    PRIMARY KEY (component_id, year)
);

CREATE TABLE consultation_observations (
    id INTEGER PRIMARY KEY,
    component_id INTEGER NOT NULL REFERENCES components(id) ON DELETE CASCADE,
    paragraph_id INTEGER NOT NULL REFERENCES consultation_paragraphs(id) ON DELETE CASCADE,
    section_id INTEGER NOT NULL REFERENCES consultation_sections(id) ON DELETE CASCADE,
    author_id INTEGER REFERENCES users(id) ON DELETE SET NULL,
    protocol TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('modify', 'add', 'delete', 'general')),
    body TEXT NOT NULL,
    proposed TEXT NOT NULL DEFAULT '',
    paragraph_text TEXT NOT NULL,
    version INTEGER NOT NULL DEFAULT 1,
    supports_count INTEGER NOT NULL DEFAULT 0,
    status TEXT NOT NULL DEFAULT 'filed' CHECK (status IN ('filed', 'withdrawn')),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    withdrawn_at TIMESTAMP,
    UNIQUE (component_id, protocol)
);
CREATE INDEX consultation_observations_list ON consultation_observations(component_id, created_at, id);
CREATE INDEX consultation_observations_supported ON consultation_observations(component_id, supports_count, id);
CREATE INDEX consultation_observations_paragraph ON consultation_observations(paragraph_id, id);
CREATE INDEX consultation_observations_section ON consultation_observations(section_id, id);
CREATE INDEX consultation_observations_author ON consultation_observations(author_id, created_at);

CREATE TABLE consultation_observation_versions (
    id INTEGER PRIMARY KEY,
    observation_id INTEGER NOT NULL REFERENCES consultation_observations(id) ON DELETE CASCADE,
    version INTEGER NOT NULL,
    kind TEXT NOT NULL,
    body TEXT NOT NULL,
    proposed TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL,
    UNIQUE (observation_id, version)
);

CREATE TABLE consultation_supports (
    observation_id INTEGER NOT NULL REFERENCES consultation_observations(id) ON DELETE CASCADE,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (observation_id, user_id)
);
CREATE INDEX consultation_supports_user ON consultation_supports(user_id);

CREATE TABLE consultation_reply_publications (
    id INTEGER PRIMARY KEY,
    component_id INTEGER NOT NULL REFERENCES components(id) ON DELETE CASCADE,
    note TEXT NOT NULL DEFAULT '',
    decided_on TEXT NOT NULL DEFAULT '',
    replies_count INTEGER NOT NULL,
    published_at TIMESTAMP NOT NULL,
    published_by INTEGER REFERENCES users(id) ON DELETE SET NULL
);
CREATE INDEX consultation_reply_publications_component ON consultation_reply_publications(component_id, id);

CREATE TABLE consultation_replies (
    observation_id INTEGER PRIMARY KEY REFERENCES consultation_observations(id) ON DELETE CASCADE,
    component_id INTEGER NOT NULL REFERENCES components(id) ON DELETE CASCADE,
    outcome TEXT NOT NULL CHECK (outcome IN ('accepted', 'partly_accepted', 'rejected', 'not_relevant')),
    body TEXT NOT NULL,
    office TEXT NOT NULL,
    drafted_by INTEGER REFERENCES users(id) ON DELETE SET NULL,
    drafted_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    publication_id INTEGER REFERENCES consultation_reply_publications(id) ON DELETE SET NULL,
    published_at TIMESTAMP
);
CREATE INDEX consultation_replies_component ON consultation_replies(component_id, published_at);

CREATE TABLE consultation_attachments (
    id INTEGER PRIMARY KEY,
    component_id INTEGER NOT NULL REFERENCES components(id) ON DELETE CASCADE,
    title TEXT NOT NULL,
    url TEXT NOT NULL,
    position INTEGER NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX consultation_attachments_component ON consultation_attachments(component_id, position);
