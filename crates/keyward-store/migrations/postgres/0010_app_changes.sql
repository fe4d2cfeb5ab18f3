-- #13: apps join the change feed. Every serving process answers `GET /v1/apps…` from memory and
-- keeps that copy true by reading the feed, as it does its key table (spec M1), so creating or
-- changing an app appends a change naming it.
ALTER TABLE changes ADD COLUMN app_id BIGINT;
