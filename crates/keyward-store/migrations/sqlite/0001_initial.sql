-- Keyward schema, SQLite dialect. Times are Unix seconds (UTC); IDs are text; booleans are
-- INTEGER 0/1 (sqlx's Any driver maps no SQLite BOOLEAN type).
-- No column holds a private key, in any form (K9).

CREATE TABLE persons (
    id            TEXT PRIMARY KEY,
    email         TEXT NOT NULL UNIQUE,
    first_name    TEXT NOT NULL,
    last_name     TEXT NOT NULL,
    password_hash TEXT,
    is_operator   INTEGER NOT NULL DEFAULT 0,
    created_at    BIGINT NOT NULL
);

CREATE TABLE teams (
    id                  TEXT PRIMARY KEY,
    issuer_id           TEXT NOT NULL UNIQUE,
    name                TEXT NOT NULL UNIQUE,
    access_state        TEXT NOT NULL CHECK (access_state IN ('not_requested', 'requested', 'approved', 'rejected')),
    rate_limit_per_hour BIGINT,
    -- Bumped by every rule-bearing write of the team: the row lock serializes them (K5, K6).
    lock_version        BIGINT NOT NULL DEFAULT 0,
    created_at          BIGINT NOT NULL
);

CREATE TABLE members (
    id                   TEXT PRIMARY KEY,
    team_id              TEXT NOT NULL REFERENCES teams (id),
    person_id            TEXT NOT NULL REFERENCES persons (id),
    roles                TEXT NOT NULL,
    all_apps_visible     INTEGER NOT NULL,
    provisioning_allowed INTEGER NOT NULL,
    created_at           BIGINT NOT NULL,
    UNIQUE (team_id, person_id)
);

CREATE TABLE apps (
    id                                          BIGINT PRIMARY KEY,
    team_id                                     TEXT NOT NULL REFERENCES teams (id),
    name                                        TEXT NOT NULL,
    bundle_id                                   TEXT NOT NULL UNIQUE,
    sku                                         TEXT NOT NULL,
    primary_locale                              TEXT NOT NULL,
    is_or_ever_was_made_for_kids                INTEGER NOT NULL DEFAULT 0,
    subscription_status_url                     TEXT,
    subscription_status_url_version             TEXT,
    subscription_status_url_for_sandbox         TEXT,
    subscription_status_url_version_for_sandbox TEXT,
    available_in_new_territories                INTEGER,
    content_rights_declaration                  TEXT,
    streamlined_purchasing_enabled              INTEGER,
    created_at                                  BIGINT NOT NULL,
    UNIQUE (team_id, sku)
);

CREATE TABLE member_apps (
    member_id TEXT NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    app_id    BIGINT NOT NULL REFERENCES apps (id),
    PRIMARY KEY (member_id, app_id)
);

CREATE TABLE api_keys (
    id                TEXT PRIMARY KEY,
    team_id           TEXT NOT NULL REFERENCES teams (id),
    kind              TEXT NOT NULL CHECK (kind IN ('team', 'individual')),
    name              TEXT NOT NULL,
    roles             TEXT NOT NULL,
    -- The owner of an individual key. No foreign key: the key outlives a removed member (K13, K14).
    member_id         TEXT,
    created_by_member TEXT,
    created_by_label  TEXT NOT NULL,
    created_at        BIGINT NOT NULL,
    -- SubjectPublicKeyInfo DER, set by the single download (K9).
    public_key        BLOB,
    downloaded_at     BIGINT,
    revoked_at        BIGINT,
    revoked_by_label  TEXT,
    last_used_at      BIGINT,
    CHECK ((kind = 'individual') = (member_id IS NOT NULL)),
    CHECK ((downloaded_at IS NULL) = (public_key IS NULL))
);

-- K6: one active individual key per member, whatever the application does.
CREATE UNIQUE INDEX api_keys_one_active_individual ON api_keys (member_id)
    WHERE kind = 'individual' AND revoked_at IS NULL;
CREATE INDEX api_keys_team ON api_keys (team_id, kind, revoked_at);

-- K4: a key's name, roles, kind and owner never change after generation.
CREATE TRIGGER api_keys_k4_immutable BEFORE UPDATE OF id, team_id, kind, name, roles, member_id ON api_keys
BEGIN
    SELECT RAISE(ABORT, 'K4: an API key''s name and roles cannot change');
END;

-- K11: no un-revoke.
CREATE TRIGGER api_keys_k11_irreversible BEFORE UPDATE OF revoked_at ON api_keys
    WHEN OLD.revoked_at IS NOT NULL
BEGIN
    SELECT RAISE(ABORT, 'K11: revocation is irreversible');
END;

CREATE TABLE audit_events (
    seq      INTEGER PRIMARY KEY AUTOINCREMENT,
    team_id  TEXT NOT NULL,
    at       BIGINT NOT NULL,
    event    TEXT NOT NULL,
    actor    TEXT NOT NULL,
    actor_ip TEXT,
    subject  TEXT,
    detail   TEXT NOT NULL
);
CREATE INDEX audit_events_team ON audit_events (team_id, seq);

-- K11: the change feed that serving processes tail.
CREATE TABLE changes (
    seq       INTEGER PRIMARY KEY AUTOINCREMENT,
    at        BIGINT NOT NULL,
    kind      TEXT NOT NULL,
    team_id   TEXT NOT NULL,
    key_id    TEXT,
    member_id TEXT
);
