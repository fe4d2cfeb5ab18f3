-- #24 (spec X5): when a burst of authentication failures against a key was last announced to the
-- team's key webhooks (at most one announcement per key every 10 minutes, across nodes).
ALTER TABLE api_keys ADD COLUMN failures_announced_at BIGINT;
