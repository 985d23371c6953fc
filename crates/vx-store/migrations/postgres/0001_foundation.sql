-- Foundation: administrative units, registry, users, sessions, audit.

CREATE TABLE units (
    id          BIGSERIAL PRIMARY KEY,
    code        TEXT NOT NULL,
    parent_code TEXT,
    level       TEXT NOT NULL CHECK (level IN ('province', 'district', 'commune', 'hamlet')),
    kind        TEXT NOT NULL,
    name        TEXT NOT NULL,
    full_name   TEXT NOT NULL,
    name_folded TEXT NOT NULL,
    population  BIGINT,
    path        TEXT NOT NULL COLLATE "C",
    valid_from  DATE NOT NULL,
    valid_to    DATE,
    UNIQUE (code, valid_from)
);
CREATE INDEX units_path ON units (path);
CREATE INDEX units_parent ON units (parent_code);
CREATE INDEX units_code ON units (code);

CREATE TABLE import_batches (
    id          BIGSERIAL PRIMARY KEY,
    kind        TEXT NOT NULL,
    file_name   TEXT NOT NULL,
    sha256      TEXT NOT NULL,
    actor       TEXT NOT NULL,
    at          TIMESTAMPTZ NOT NULL,
    created     BIGINT NOT NULL,
    updated     BIGINT NOT NULL,
    unchanged   BIGINT NOT NULL,
    skipped     BIGINT NOT NULL
);

CREATE TABLE households (
    id          BIGSERIAL PRIMARY KEY,
    code        TEXT NOT NULL UNIQUE,
    unit_id     BIGINT NOT NULL REFERENCES units(id),
    head_name   TEXT NOT NULL,
    head_folded TEXT NOT NULL,
    address     TEXT NOT NULL,
    phone       TEXT,
    poor        BOOLEAN NOT NULL,
    lost_income BOOLEAN NOT NULL,
    active      BOOLEAN NOT NULL DEFAULT TRUE,
    import_id   BIGINT REFERENCES import_batches(id),
    updated_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX households_unit ON households (unit_id);

CREATE TABLE people (
    id           BIGSERIAL PRIMARY KEY,
    household_id BIGINT NOT NULL REFERENCES households(id),
    unit_id      BIGINT NOT NULL REFERENCES units(id),
    natural_key  TEXT NOT NULL UNIQUE,
    full_name    TEXT NOT NULL,
    name_folded  TEXT NOT NULL COLLATE "C",
    birth_date   DATE,
    birth_year   INTEGER NOT NULL,
    sex          TEXT NOT NULL CHECK (sex IN ('male', 'female')),
    citizen_id   TEXT UNIQUE,
    phone        TEXT,
    relation     TEXT NOT NULL,
    active       BOOLEAN NOT NULL DEFAULT TRUE,
    import_id    BIGINT REFERENCES import_batches(id),
    updated_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX people_household ON people (household_id);
CREATE INDEX people_unit ON people (unit_id);
CREATE INDEX people_name ON people (name_folded);

CREATE TABLE users (
    id            BIGSERIAL PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE,
    display_name  TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    role          TEXT NOT NULL,
    active        BOOLEAN NOT NULL DEFAULT TRUE,
    created_at    TIMESTAMPTZ NOT NULL
);

CREATE TABLE user_scopes (
    user_id   BIGINT NOT NULL REFERENCES users(id),
    unit_code TEXT NOT NULL,
    PRIMARY KEY (user_id, unit_code)
);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id    BIGINT NOT NULL REFERENCES users(id),
    csrf       TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE api_tokens (
    id         BIGSERIAL PRIMARY KEY,
    user_id    BIGINT NOT NULL REFERENCES users(id),
    name       TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at TIMESTAMPTZ NOT NULL,
    revoked_at TIMESTAMPTZ
);

CREATE TABLE login_failures (
    key TEXT NOT NULL,
    at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX login_failures_key ON login_failures (key, at);

CREATE TABLE audit_log (
    id        BIGSERIAL PRIMARY KEY,
    at        TIMESTAMPTZ NOT NULL,
    actor     TEXT NOT NULL,
    action    TEXT NOT NULL,
    entity    TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    before    TEXT,
    after     TEXT
);
CREATE INDEX audit_entity ON audit_log (entity, entity_id);

CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'audit_log is append-only'; END $$;
CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
