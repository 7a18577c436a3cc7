-- Reference data: countries, missions and their consular jurisdiction, provinces, languages.
-- Loaded from baoho-domain's embedded files on first start; editable by an administrator later.

CREATE TABLE country (
    alpha2      TEXT PRIMARY KEY CHECK (length(alpha2) = 2),
    alpha3      TEXT NOT NULL UNIQUE,
    numeric     TEXT NOT NULL,
    name_en     TEXT NOT NULL,
    name_vi     TEXT NOT NULL
);

CREATE TABLE mission (
    code        TEXT PRIMARY KEY,
    kind        TEXT NOT NULL CHECK (kind IN ('embassy', 'consulate_general', 'consulate', 'permanent_mission', 'representative_office')),
    name_vi     TEXT NOT NULL,
    name_en     TEXT NOT NULL,
    city        TEXT NOT NULL,
    country     TEXT NOT NULL REFERENCES country (alpha2),
    area        TEXT NOT NULL DEFAULT '',
    active      BOOLEAN NOT NULL DEFAULT TRUE
);

CREATE TABLE mission_jurisdiction (
    mission     TEXT NOT NULL REFERENCES mission (code) ON DELETE CASCADE,
    country     TEXT NOT NULL REFERENCES country (alpha2),
    PRIMARY KEY (mission, country)
);
CREATE INDEX mission_jurisdiction_country ON mission_jurisdiction (country);

-- The 34 provinces and cities since the merger of 1 July 2025.
CREATE TABLE province (
    code        TEXT PRIMARY KEY,
    name_vi     TEXT NOT NULL,
    name_en     TEXT NOT NULL,
    kind        TEXT NOT NULL
);

-- The 63 before it. Codes overlap with the new list and mean other places: never mix them.
CREATE TABLE province_pre2025 (
    code        TEXT PRIMARY KEY,
    name_vi     TEXT NOT NULL,
    name_en     TEXT NOT NULL,
    kind        TEXT NOT NULL,
    merged_into TEXT NOT NULL REFERENCES province (code)
);

CREATE TABLE language (
    code        TEXT PRIMARY KEY,
    name_en     TEXT NOT NULL,
    name_vi     TEXT NOT NULL
);

-- Records which reference sets were loaded and when, so a restart never reloads over edits.
CREATE TABLE reference_load (
    dataset     TEXT PRIMARY KEY,
    rows        BIGINT NOT NULL,
    loaded_at   TIMESTAMPTZ NOT NULL
);
