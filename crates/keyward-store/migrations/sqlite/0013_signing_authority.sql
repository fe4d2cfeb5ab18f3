-- #22 (spec F1): the installation's code-signing CA, made at first start. One row, shared by every
-- node, so that certificates and profiles made on any node chain to the same CA. Its key signs test
-- certificates nobody trusts but the tests that choose to.
CREATE TABLE signing_authority (
    id         INTEGER PRIMARY KEY,
    cert_pem   TEXT NOT NULL,
    key_pem    TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
