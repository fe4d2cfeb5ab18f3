-- #14: requests per key, gateway route area (spec section 10) and hour (Unix hour = seconds /
-- 3600), written behind like key_usage, for the key details page.
CREATE TABLE key_area_usage (
    key_id   TEXT NOT NULL,
    area     TEXT NOT NULL,
    hour     BIGINT NOT NULL,
    requests BIGINT NOT NULL,
    PRIMARY KEY (key_id, area, hour)
);
