-- The certificates, keys and ACME account of `roster serve --acme-domain`
-- (golang.org/x/crypto/acme/autocert's cache: an opaque value per key),
-- kept in the store so that every replica on PostgreSQL shares one
-- certificate instead of each asking the CA for its own. The embedded
-- store's server caches them in the data dir instead; the table exists on
-- both backends so their migration histories match.
CREATE TABLE acme_cache (
    key     TEXT NOT NULL PRIMARY KEY,
    data    BLOB NOT NULL,
    updated TEXT NOT NULL
);
