-- #24 (spec X5): see the PostgreSQL migration.
ALTER TABLE api_keys ADD COLUMN failures_announced_at BIGINT;
