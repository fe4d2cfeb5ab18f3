-- An Account Holder created by an operator sets their password through a one-time link; only the
-- SHA-256 of its token is stored.
ALTER TABLE persons ADD COLUMN activation_hash TEXT;
ALTER TABLE persons ADD COLUMN activation_expires BIGINT;
