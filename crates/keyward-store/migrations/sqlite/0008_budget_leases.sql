-- M2: one rolling-hour budget per key across nodes (see the PostgreSQL migration). SQLite serves one
-- node, which counts budgets in memory; the table exists so both dialects hold the same tables.
CREATE TABLE budget_leases (
    lease_id   INTEGER PRIMARY KEY AUTOINCREMENT,
    key_id     TEXT NOT NULL,
    node_id    TEXT NOT NULL,
    minute     BIGINT NOT NULL,
    granted    BIGINT NOT NULL,
    used       BIGINT NOT NULL DEFAULT 0,
    expires_at BIGINT NOT NULL,
    settled    BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX budget_leases_key ON budget_leases (key_id, minute);
