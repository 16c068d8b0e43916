-- Who blocked a participant: a space moderator may lift only the blocks a
-- non-administrator decided, so the blocker is kept with the block. NULL
-- for blocks made before this column or outside moderation, which only a
-- platform administrator may lift.
ALTER TABLE users ADD COLUMN blocked_by INTEGER REFERENCES users(id) ON DELETE SET NULL;
