package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/rosterhq/roster/internal/store"
)

// ACMECache keeps roster serve --acme-domain's certificates, keys and ACME
// account in the acme_cache table (migration 0011), so that replicas on
// PostgreSQL share them. Its methods are autocert.Cache's, except that a
// missing key is store.ErrNotFound (cmd/roster maps it to
// autocert.ErrCacheMiss: the store knows nothing of ACME).
type ACMECache struct{ s *Store }

// ACMECache is the store's ACME cache.
func (s *Store) ACMECache() ACMECache { return ACMECache{s} }

// Get returns the data stored under key, or store.ErrNotFound.
func (c ACMECache) Get(ctx context.Context, key string) ([]byte, error) {
	var data []byte
	err := c.s.db.QueryRowContext(ctx, c.s.d.rebind(`SELECT data FROM acme_cache WHERE key = ?`), key).Scan(&data)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, store.ErrNotFound
	}
	return data, err
}

// Put stores data under key, replacing what was there.
func (c ACMECache) Put(ctx context.Context, key string, data []byte) error {
	if data == nil {
		data = []byte{}
	}
	return c.s.Tx(ctx, func(t store.Tx) error {
		_, err := t.(*txStore).exec(ctx, `INSERT INTO acme_cache (key, data, updated) VALUES (?, ?, ?)
			ON CONFLICT (key) DO UPDATE SET data = excluded.data, updated = excluded.updated`, key, data, formatTime(time.Now()))
		return err
	})
}

// Delete removes key; a missing key is no error.
func (c ACMECache) Delete(ctx context.Context, key string) error {
	return c.s.Tx(ctx, func(t store.Tx) error {
		_, err := t.(*txStore).exec(ctx, `DELETE FROM acme_cache WHERE key = ?`, key)
		return err
	})
}
