-- PostgreSQL mirror of migrations/sqlite/0011_acme_cache.sql.
-- The certificates, keys and ACME account of `roster serve --acme-domain`
-- (golang.org/x/crypto/acme/autocert's cache: an opaque value per key),
-- kept in the store so that every replica shares one certificate instead
-- of each asking the CA for its own.
CREATE TABLE acme_cache (
    key     TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    data    BYTEA NOT NULL,
    updated TEXT COLLATE "C" NOT NULL
);
