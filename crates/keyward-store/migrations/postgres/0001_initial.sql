-- Keyward schema, PostgreSQL dialect. Same tables and columns as the SQLite schema; only types,
-- sequences, triggers and the change notification differ. No column holds a private key (K9).

CREATE TABLE persons (
    id            TEXT PRIMARY KEY,
    email         TEXT NOT NULL UNIQUE,
    first_name    TEXT NOT NULL,
    last_name     TEXT NOT NULL,
    password_hash TEXT,
    is_operator   BOOLEAN NOT NULL DEFAULT FALSE,
    created_at    BIGINT NOT NULL
);

CREATE TABLE teams (
    id                  TEXT PRIMARY KEY,
    issuer_id           TEXT NOT NULL UNIQUE,
    name                TEXT NOT NULL UNIQUE,
    access_state        TEXT NOT NULL CHECK (access_state IN ('not_requested', 'requested', 'approved', 'rejected')),
    rate_limit_per_hour BIGINT,
    lock_version        BIGINT NOT NULL DEFAULT 0,
    created_at          BIGINT NOT NULL
);

CREATE TABLE members (
    id                   TEXT PRIMARY KEY,
    team_id              TEXT NOT NULL REFERENCES teams (id),
    person_id            TEXT NOT NULL REFERENCES persons (id),
    roles                TEXT NOT NULL,
    all_apps_visible     BOOLEAN NOT NULL,
    provisioning_allowed BOOLEAN NOT NULL,
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
    is_or_ever_was_made_for_kids                BOOLEAN NOT NULL DEFAULT FALSE,
    subscription_status_url                     TEXT,
    subscription_status_url_version             TEXT,
    subscription_status_url_for_sandbox         TEXT,
    subscription_status_url_version_for_sandbox TEXT,
    available_in_new_territories                BOOLEAN,
    content_rights_declaration                  TEXT,
    streamlined_purchasing_enabled              BOOLEAN,
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
    member_id         TEXT,
    created_by_member TEXT,
    created_by_label  TEXT NOT NULL,
    created_at        BIGINT NOT NULL,
    public_key        BYTEA,
    downloaded_at     BIGINT,
    revoked_at        BIGINT,
    revoked_by_label  TEXT,
    last_used_at      BIGINT,
    CHECK ((kind = 'individual') = (member_id IS NOT NULL)),
    CHECK ((downloaded_at IS NULL) = (public_key IS NULL))
);

CREATE UNIQUE INDEX api_keys_one_active_individual ON api_keys (member_id)
    WHERE kind = 'individual' AND revoked_at IS NULL;
CREATE INDEX api_keys_team ON api_keys (team_id, kind, revoked_at);

CREATE FUNCTION api_keys_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.id IS DISTINCT FROM OLD.id OR NEW.team_id IS DISTINCT FROM OLD.team_id
       OR NEW.kind IS DISTINCT FROM OLD.kind OR NEW.name IS DISTINCT FROM OLD.name
       OR NEW.roles IS DISTINCT FROM OLD.roles OR NEW.member_id IS DISTINCT FROM OLD.member_id THEN
        RAISE EXCEPTION 'K4: an API key''s name and roles cannot change';
    END IF;
    IF OLD.revoked_at IS NOT NULL AND NEW.revoked_at IS DISTINCT FROM OLD.revoked_at THEN
        RAISE EXCEPTION 'K11: revocation is irreversible';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER api_keys_guard BEFORE UPDATE ON api_keys FOR EACH ROW EXECUTE FUNCTION api_keys_guard();

CREATE TABLE audit_events (
    seq      BIGSERIAL PRIMARY KEY,
    team_id  TEXT NOT NULL,
    at       BIGINT NOT NULL,
    event    TEXT NOT NULL,
    actor    TEXT NOT NULL,
    actor_ip TEXT,
    subject  TEXT,
    detail   TEXT NOT NULL
);
CREATE INDEX audit_events_team ON audit_events (team_id, seq);

CREATE TABLE changes (
    seq       BIGSERIAL PRIMARY KEY,
    at        BIGINT NOT NULL,
    kind      TEXT NOT NULL,
    team_id   TEXT NOT NULL,
    key_id    TEXT,
    member_id TEXT
);

-- K11: wake listeners when the writing transaction commits (NOTIFY is delivered at commit).
CREATE FUNCTION changes_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('keyward_changes', NEW.seq::text);
    RETURN NEW;
END
$$;
CREATE TRIGGER changes_notify AFTER INSERT ON changes FOR EACH ROW EXECUTE FUNCTION changes_notify();
