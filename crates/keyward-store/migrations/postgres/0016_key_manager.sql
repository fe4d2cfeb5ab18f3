-- #24 (spec X1): the key API. An Admin grants the KEY_MANAGER capability to an ADMIN team key;
-- such a key may then create, rotate and revoke the team's keys through `/keyward/v1/apiKeys`.
-- Granted and withdrawn by people only; never inherited by a successor made by a key.
ALTER TABLE api_keys ADD COLUMN key_manager BOOLEAN NOT NULL DEFAULT FALSE;
-- The key that generated this one through the key API (K10: only it may download a team key it
-- made; the audit log and `admin key show` name it, so the keys a stolen key made can be found).
ALTER TABLE api_keys ADD COLUMN created_by_key TEXT;
