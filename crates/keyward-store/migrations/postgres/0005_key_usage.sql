-- Requests per key and hour (Unix hour = seconds / 3600), written behind, for the console's chart.
CREATE TABLE key_usage (
    key_id   TEXT NOT NULL,
    hour     BIGINT NOT NULL,
    requests BIGINT NOT NULL,
    PRIMARY KEY (key_id, hour)
);
