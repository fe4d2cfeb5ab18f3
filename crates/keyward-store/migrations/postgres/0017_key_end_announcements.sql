-- #24 (spec X5): when a key's coming expiry (7 days ahead) and its expiry were announced to the
-- team's key webhooks; each is announced once, by whichever node's sweep records it first.
ALTER TABLE api_keys ADD COLUMN expiring_announced_at BIGINT;
ALTER TABLE api_keys ADD COLUMN expired_announced_at BIGINT;
CREATE INDEX api_keys_end_unannounced ON api_keys (expires_at)
    WHERE revoked_at IS NULL AND expires_at IS NOT NULL AND expired_announced_at IS NULL;
