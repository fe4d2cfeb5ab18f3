-- T14: the recent authentication failures of each key (the last 50 are kept).
CREATE TABLE auth_failures (
    seq       BIGSERIAL PRIMARY KEY,
    key_id    TEXT NOT NULL,
    at        BIGINT NOT NULL,
    rule      TEXT NOT NULL,
    reason    TEXT NOT NULL,
    client_ip TEXT
);
CREATE INDEX auth_failures_key ON auth_failures (key_id, seq);
