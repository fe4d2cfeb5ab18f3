-- M2 (#23): settled leases' uses, one row per key and minute (see the PostgreSQL migration).
-- SQLite serves one node, which counts budgets in memory; the table exists so both dialects hold
-- the same tables.
CREATE TABLE budget_minutes (
    key_id TEXT NOT NULL,
    minute BIGINT NOT NULL,
    used   BIGINT NOT NULL,
    PRIMARY KEY (key_id, minute)
);
INSERT INTO budget_minutes (key_id, minute, used)
    SELECT key_id, minute, SUM(used) FROM budget_leases WHERE settled GROUP BY key_id, minute;
DELETE FROM budget_leases WHERE settled;
