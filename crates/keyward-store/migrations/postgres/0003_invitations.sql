-- Invitations to join a team (Apple's userInvitations), valid until expires_at.
CREATE TABLE invitations (
    id                   TEXT PRIMARY KEY,
    team_id              TEXT NOT NULL REFERENCES teams (id),
    email                TEXT NOT NULL,
    first_name           TEXT NOT NULL,
    last_name            TEXT NOT NULL,
    roles                TEXT NOT NULL,
    all_apps_visible     BOOLEAN NOT NULL,
    provisioning_allowed BOOLEAN NOT NULL,
    created_at           BIGINT NOT NULL,
    expires_at           BIGINT NOT NULL,
    UNIQUE (team_id, email)
);

CREATE TABLE invitation_apps (
    invitation_id TEXT NOT NULL REFERENCES invitations (id) ON DELETE CASCADE,
    app_id        BIGINT NOT NULL REFERENCES apps (id),
    PRIMARY KEY (invitation_id, app_id)
);

-- Keyset paging of users and apps by each sort (the ID breaks ties).
CREATE INDEX persons_last_name ON persons (last_name, id);
CREATE INDEX apps_team_name ON apps (team_id, name, id);
CREATE INDEX apps_team_bundle ON apps (team_id, bundle_id, id);
CREATE INDEX apps_team_sku ON apps (team_id, sku, id);
