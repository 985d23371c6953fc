-- Foundation: administrative units, registry, users, sessions, audit.
-- Days are DATE (ISO text here), instants are UTC (RFC 3339 text here).

CREATE TABLE units (
    id          INTEGER PRIMARY KEY,
    code        TEXT NOT NULL,
    parent_code TEXT,
    level       TEXT NOT NULL CHECK (level IN ('province', 'district', 'commune', 'hamlet')),
    kind        TEXT NOT NULL,
    name        TEXT NOT NULL,
    full_name   TEXT NOT NULL,
    name_folded TEXT NOT NULL,
    population  INTEGER,
    path        TEXT NOT NULL,
    valid_from  TEXT NOT NULL,
    valid_to    TEXT,
    UNIQUE (code, valid_from)
);
CREATE INDEX units_path ON units (path);
CREATE INDEX units_parent ON units (parent_code);
CREATE INDEX units_code ON units (code);

CREATE TABLE import_batches (
    id          INTEGER PRIMARY KEY,
    kind        TEXT NOT NULL,
    file_name   TEXT NOT NULL,
    sha256      TEXT NOT NULL,
    actor       TEXT NOT NULL,
    at          TEXT NOT NULL,
    created     INTEGER NOT NULL,
    updated     INTEGER NOT NULL,
    unchanged   INTEGER NOT NULL,
    skipped     INTEGER NOT NULL
);

CREATE TABLE households (
    id          INTEGER PRIMARY KEY,
    code        TEXT NOT NULL UNIQUE,
    unit_id     INTEGER NOT NULL REFERENCES units(id),
    head_name   TEXT NOT NULL,
    head_folded TEXT NOT NULL,
    address     TEXT NOT NULL,
    phone       TEXT,
    poor        INTEGER NOT NULL,
    lost_income INTEGER NOT NULL,
    active      INTEGER NOT NULL DEFAULT 1,
    import_id   INTEGER REFERENCES import_batches(id),
    updated_at  TEXT NOT NULL
);
CREATE INDEX households_unit ON households (unit_id);

CREATE TABLE people (
    id           INTEGER PRIMARY KEY,
    household_id INTEGER NOT NULL REFERENCES households(id),
    unit_id      INTEGER NOT NULL REFERENCES units(id),
    natural_key  TEXT NOT NULL UNIQUE,
    full_name    TEXT NOT NULL,
    name_folded  TEXT NOT NULL,
    birth_date   TEXT,
    birth_year   INTEGER NOT NULL,
    sex          TEXT NOT NULL CHECK (sex IN ('male', 'female')),
    citizen_id   TEXT UNIQUE,
    phone        TEXT,
    relation     TEXT NOT NULL,
    active       INTEGER NOT NULL DEFAULT 1,
    import_id    INTEGER REFERENCES import_batches(id),
    updated_at   TEXT NOT NULL
);
CREATE INDEX people_household ON people (household_id);
CREATE INDEX people_unit ON people (unit_id);
CREATE INDEX people_name ON people (name_folded);

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE,
    display_name  TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    role          TEXT NOT NULL,
    active        INTEGER NOT NULL DEFAULT 1,
    created_at    TEXT NOT NULL
);

CREATE TABLE user_scopes (
    user_id   INTEGER NOT NULL REFERENCES users(id),
    unit_code TEXT NOT NULL,
    PRIMARY KEY (user_id, unit_code)
);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users(id),
    csrf       TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);

CREATE TABLE api_tokens (
    id         INTEGER PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users(id),
    name       TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    revoked_at TEXT
);

CREATE TABLE login_failures (
    key TEXT NOT NULL,
    at  TEXT NOT NULL
);
CREATE INDEX login_failures_key ON login_failures (key, at);

CREATE TABLE audit_log (
    id        INTEGER PRIMARY KEY,
    at        TEXT NOT NULL,
    actor     TEXT NOT NULL,
    action    TEXT NOT NULL,
    entity    TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    before    TEXT,
    after     TEXT
);
CREATE INDEX audit_entity ON audit_log (entity, entity_id);

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
