-- #24 (spec X2–X4): keys made from uploaded public keys, expiry, rotation, and a team's cap on new
-- keys' lifetime.
ALTER TABLE api_keys ADD COLUMN expires_at BIGINT;
-- X4: a rotated-out key's revocation, at the end of its successor's grace period. Every node
-- refuses the key from that second on; the first node's sweep records the revocation.
ALTER TABLE api_keys ADD COLUMN revoke_at BIGINT;
ALTER TABLE api_keys ADD COLUMN replaces TEXT;
-- X2: made from an uploaded public key; there is no private key to download.
ALTER TABLE api_keys ADD COLUMN uploaded BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE teams ADD COLUMN max_key_lifetime_days BIGINT;

-- X2: one key pair, one key, for ever. An upload is refused when any key has or had its public
-- key (checked under the team's lock; a purged key's half stays in retired_public_keys), so a
-- revoked key cannot come back under a new Key ID. The unique index settles racing uploads across
-- teams; it covers uploaded keys only, because seeds made before this migration may share a
-- public key between keys, and those must still migrate.
CREATE UNIQUE INDEX api_keys_uploaded_public_key ON api_keys (public_key) WHERE uploaded;
CREATE INDEX api_keys_public_key ON api_keys (public_key);
CREATE TABLE retired_public_keys (
    public_key BYTEA PRIMARY KEY,
    retired_at BIGINT NOT NULL
);

-- X4: an individual key being rotated out no longer holds its member's one individual key (K6),
-- so its successor can exist during the grace period.
DROP INDEX api_keys_one_active_individual;
CREATE UNIQUE INDEX api_keys_one_active_individual ON api_keys (member_id)
    WHERE kind = 'individual' AND revoked_at IS NULL AND revoke_at IS NULL;
CREATE INDEX api_keys_revoke_at ON api_keys (revoke_at) WHERE revoke_at IS NOT NULL AND revoked_at IS NULL;

-- K4 as before; X3: an expiry never changes; X2: nor where the key came from; X4: a rotation is
-- scheduled once and never undone.
CREATE OR REPLACE FUNCTION api_keys_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.id IS DISTINCT FROM OLD.id OR NEW.team_id IS DISTINCT FROM OLD.team_id
       OR NEW.kind IS DISTINCT FROM OLD.kind OR NEW.name IS DISTINCT FROM OLD.name
       OR NEW.roles IS DISTINCT FROM OLD.roles OR NEW.member_id IS DISTINCT FROM OLD.member_id THEN
        RAISE EXCEPTION 'K4: an API key''s name and roles cannot change';
    END IF;
    IF OLD.revoked_at IS NOT NULL AND NEW.revoked_at IS DISTINCT FROM OLD.revoked_at THEN
        RAISE EXCEPTION 'K11: revocation is irreversible';
    END IF;
    IF NEW.expires_at IS DISTINCT FROM OLD.expires_at OR NEW.uploaded IS DISTINCT FROM OLD.uploaded
       OR NEW.replaces IS DISTINCT FROM OLD.replaces THEN
        RAISE EXCEPTION 'X2-X4: a key''s expiry and origin cannot change';
    END IF;
    IF OLD.revoke_at IS NOT NULL AND NEW.revoke_at IS DISTINCT FROM OLD.revoke_at THEN
        RAISE EXCEPTION 'X4: a rotation cannot be undone';
    END IF;
    RETURN NEW;
END
$$;
