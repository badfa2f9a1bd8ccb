package domain

import (
	"regexp"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/store"
)

func TestNewTokenAndID(t *testing.T) {
	tok, hash := NewToken()
	if !regexp.MustCompile(`^rsk_[A-Za-z0-9_-]{43}$`).MatchString(tok) {
		t.Fatalf("token %q: want rsk_ and 256 bits of base64url", tok)
	}
	if string(HashToken(tok)) != string(hash) || len(hash) != 32 {
		t.Fatal("hash is not SHA-256 of the token")
	}
	if tok2, _ := NewToken(); tok2 == tok {
		t.Fatal("two tokens alike")
	}
	if !regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`).MatchString(NewID()) {
		t.Fatal("NewID is not a v4 UUID")
	}
}

func TestKeyStatus(t *testing.T) {
	now := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	past, future := now.Add(-time.Second), now.Add(time.Hour)
	for _, c := range []struct {
		k    store.SCIMKey
		want string
	}{
		{store.SCIMKey{}, store.KeyActive},
		{store.SCIMKey{ExpiresAt: &future}, store.KeyActive},
		{store.SCIMKey{ExpiresAt: &past}, store.KeyExpired},
		{store.SCIMKey{ExpiresAt: &now}, store.KeyExpired},
		{store.SCIMKey{RevokedAt: &past, ExpiresAt: &past}, store.KeyRevoked},
		{store.SCIMKey{RevokedAt: &future}, store.KeyActive}, // a revocation scheduled for later
	} {
		if got := KeyStatus(c.k, now); got != c.want {
			t.Errorf("%+v: %s, want %s", c.k, got, c.want)
		}
	}
}
