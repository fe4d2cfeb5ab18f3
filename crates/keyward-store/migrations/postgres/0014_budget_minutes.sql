-- M2 (#23, the soak): what settled leases used, one row per key and minute, so that leasing reads
-- at most 61 rows of a key's hour however fast it spends. Before, every lease stayed a row for the
-- hour and each new lease summed them all: a key spending 1,500 requests a second made leasing
-- slower by the minute. Leases stay in `budget_leases` only while they may still be used or
-- reported; then their uses are added here under the lease's minute.
CREATE TABLE budget_minutes (
    key_id TEXT NOT NULL,
    minute BIGINT NOT NULL,
    used   BIGINT NOT NULL,
    PRIMARY KEY (key_id, minute)
);
INSERT INTO budget_minutes (key_id, minute, used)
    SELECT key_id, minute, SUM(used) FROM budget_leases WHERE settled GROUP BY key_id, minute;
DELETE FROM budget_leases WHERE settled;
