-- #24 (spec X1): the key API (see the PostgreSQL migration for each column's reason).
ALTER TABLE api_keys ADD COLUMN key_manager INTEGER NOT NULL DEFAULT 0;
ALTER TABLE api_keys ADD COLUMN created_by_key TEXT;
