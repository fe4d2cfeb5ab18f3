-- #21 (spec R2): the resources of Apple's whole API beyond section 7 (betaGroups, builds, bundleIds,
-- …), one row each, whatever their type: attributes and linkage as JSON text, the app the resource
-- belongs to for A4. Every serving process keeps a copy in memory, kept true by the change feed.
CREATE TABLE resources (
    kind          TEXT NOT NULL,
    id            TEXT NOT NULL,
    team_id       TEXT NOT NULL REFERENCES teams (id),
    app_id        BIGINT,
    attributes    TEXT NOT NULL,
    relationships TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL,
    PRIMARY KEY (kind, id)
);
CREATE INDEX resources_team ON resources (team_id, kind);

ALTER TABLE changes ADD COLUMN resource_kind TEXT;
ALTER TABLE changes ADD COLUMN resource_id TEXT;
