-- #24 (spec X2–X4): keys made from uploaded public keys, expiry, rotation, and a team's cap on new
-- keys' lifetime (see the PostgreSQL migration for each column's reason).
ALTER TABLE api_keys ADD COLUMN expires_at BIGINT;
ALTER TABLE api_keys ADD COLUMN revoke_at BIGINT;
ALTER TABLE api_keys ADD COLUMN replaces TEXT;
ALTER TABLE api_keys ADD COLUMN uploaded INTEGER NOT NULL DEFAULT 0;
ALTER TABLE teams ADD COLUMN max_key_lifetime_days BIGINT;

CREATE UNIQUE INDEX api_keys_uploaded_public_key ON api_keys (public_key) WHERE uploaded;
CREATE INDEX api_keys_public_key ON api_keys (public_key);
CREATE TABLE retired_public_keys (
    public_key BLOB PRIMARY KEY,
    retired_at BIGINT NOT NULL
);

DROP INDEX api_keys_one_active_individual;
CREATE UNIQUE INDEX api_keys_one_active_individual ON api_keys (member_id)
    WHERE kind = 'individual' AND revoked_at IS NULL AND revoke_at IS NULL;
CREATE INDEX api_keys_revoke_at ON api_keys (revoke_at) WHERE revoke_at IS NOT NULL AND revoked_at IS NULL;

CREATE TRIGGER api_keys_x3_immutable BEFORE UPDATE OF expires_at, uploaded, replaces ON api_keys
    WHEN OLD.expires_at IS NOT NEW.expires_at OR OLD.uploaded IS NOT NEW.uploaded OR OLD.replaces IS NOT NEW.replaces
BEGIN
    SELECT RAISE(ABORT, 'X2-X4: a key''s expiry and origin cannot change');
END;

CREATE TRIGGER api_keys_x4_once BEFORE UPDATE OF revoke_at ON api_keys
    WHEN OLD.revoke_at IS NOT NULL AND OLD.revoke_at IS NOT NEW.revoke_at
BEGIN
    SELECT RAISE(ABORT, 'X4: a rotation cannot be undone');
END;
