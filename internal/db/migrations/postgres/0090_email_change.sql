-- A requested change of email address waits in the token sent to the new
-- address ("email_change" purpose): the account keeps its old address until
-- the link is followed, so a typo or someone else's address changes nothing.
ALTER TABLE user_tokens ADD COLUMN new_email TEXT;
