-- I1: accepting an invitation takes a secret only the invitee receives (by mail, or the link shown
-- once to the inviter). Only its SHA-256 is stored; an invitation made before this migration has
-- none and cannot be accepted until its link is renewed.
ALTER TABLE invitations ADD COLUMN secret_hash TEXT;
CREATE UNIQUE INDEX invitations_secret_hash ON invitations (secret_hash);
