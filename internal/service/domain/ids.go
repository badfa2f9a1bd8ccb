package domain

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"time"

	"github.com/rosterhq/roster/internal/store"
)

// NewID returns a random UUID (version 4). Random ids give no hot spot to
// a distributed database and reveal nothing about other teams.
func NewID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// RandomSecret returns prefix + 256 random bits, URL-safe.
func RandomSecret(prefix string) string {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err)
	}
	return prefix + base64.RawURLEncoding.EncodeToString(b[:])
}

// TokenPrefix marks Roster SCIM keys, so secret scanners and people can
// recognise one.
const TokenPrefix = "rsk_"

// NewToken makes a key: 256 random bits behind the prefix. Only its
// SHA-256 is stored; a slow KDF adds nothing for a secret this strong.
func NewToken() (token string, hash []byte) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err)
	}
	token = TokenPrefix + base64.RawURLEncoding.EncodeToString(b[:])
	return token, HashToken(token)
}

// HashToken is the stored form of a token.
func HashToken(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// KeyStatus derives a key's status at time now.
func KeyStatus(k store.SCIMKey, now time.Time) string {
	switch {
	case k.RevokedAt != nil && !k.RevokedAt.After(now):
		return store.KeyRevoked
	case k.ExpiresAt != nil && !k.ExpiresAt.After(now):
		return store.KeyExpired
	}
	return store.KeyActive
}
