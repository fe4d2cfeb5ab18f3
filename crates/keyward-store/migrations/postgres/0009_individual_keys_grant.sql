-- K6b: whether a member's Generate Individual API Keys permission was granted explicitly (an
-- invitation or PATCH listing GENERATE_INDIVIDUAL_KEYS, or the console granting it after it had
-- been withheld). Only an explicit grant is listed in the REST API's `roles`; the default grant of
-- K6 is held but not listed. Members from before this migration hold theirs by default.
ALTER TABLE members ADD COLUMN individual_keys_explicit BOOLEAN NOT NULL DEFAULT FALSE;
-- An invitation from the console grants the permission by default on joining (held, not listed),
-- unless its inviter withheld it; an invitation naming it in `roles` grants it explicitly.
ALTER TABLE invitations ADD COLUMN individual_keys_by_default BOOLEAN NOT NULL DEFAULT FALSE;
