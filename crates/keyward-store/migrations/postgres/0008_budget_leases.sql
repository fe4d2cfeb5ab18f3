-- M2: one rolling-hour budget per key across nodes. A node leases a slice of a key's budget, spends
-- it in memory and reports its uses; a lease counts in full until it is settled or expires, then
-- only its reported uses count. `minute` is the last minute the lease may be used in, so uses are
-- never counted as older than they are.
CREATE TABLE budget_leases (
    lease_id   BIGSERIAL PRIMARY KEY,
    key_id     TEXT NOT NULL,
    node_id    TEXT NOT NULL,
    minute     BIGINT NOT NULL,
    granted    BIGINT NOT NULL,
    used       BIGINT NOT NULL DEFAULT 0,
    expires_at BIGINT NOT NULL,
    settled    BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX budget_leases_key ON budget_leases (key_id, minute);
