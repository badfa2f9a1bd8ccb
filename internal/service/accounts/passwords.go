package accounts

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/rosterhq/roster/internal/service/domain"
	"golang.org/x/crypto/argon2"
)

// Argon2Params are argon2id's cost parameters. Hashes carry their own
// parameters (PHC string format), so raising them later leaves existing
// passwords verifiable.
type Argon2Params struct {
	Memory  uint32 // KiB
	Time    uint32
	Threads uint8
	SaltLen uint32
	KeyLen  uint32
}

// DefaultPasswordParams is what new hashes use unless told otherwise
// (package service's PasswordParams, which tests lower): RFC 9106's second
// recommended option (64 MiB, 3 passes, 4 lanes).
func DefaultPasswordParams() Argon2Params {
	return Argon2Params{Memory: 64 * 1024, Time: 3, Threads: 4, SaltLen: 16, KeyLen: 32}
}

// Password length bounds (in characters). The upper bound keeps a request
// from making the server hash megabytes.
const (
	MinPasswordLen = 10
	MaxPasswordLen = 256
)

// HashPassword returns the PHC-style argon2id encoding of password with
// the parameters p: $argon2id$v=19$m=65536,t=3,p=4$<salt>$<hash>
// (unpadded base64).
func HashPassword(p Argon2Params, password string) (string, error) {
	salt := make([]byte, p.SaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	var key []byte
	passwordWork.do(func() { key = argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, p.KeyLen) })
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.Memory, p.Time, p.Threads,
		b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// VerifyPassword checks password against an encoded hash in constant time.
// An empty or malformed hash never matches.
func VerifyPassword(encoded, password string) bool {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false
	}
	var v int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &v); err != nil || v != argon2.Version {
		return false
	}
	var m, t uint32
	var th uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &th); err != nil || m == 0 || t == 0 || th == 0 || m > 4<<20 || t > 100 {
		return false
	}
	b64 := base64.RawStdEncoding
	salt, err1 := b64.DecodeString(parts[4])
	want, err2 := b64.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(want) == 0 || len(want) > 1024 {
		return false
	}
	var got []byte
	passwordWork.do(func() { got = argon2.IDKey([]byte(password), salt, t, m, th, uint32(len(want))) })
	return subtle.ConstantTimeCompare(got, want) == 1
}

// dummy is a hash made once, with the parameters of the first sign-in
// that needs it, for burnPasswordCheck.
var dummy struct {
	once sync.Once
	hash string
}

// burnPasswordCheck spends what a real verification costs, so a sign-in
// for an unknown email takes as long as one with a wrong password.
func burnPasswordCheck(p Argon2Params, password string) {
	dummy.once.Do(func() { dummy.hash, _ = HashPassword(p, "roster-dummy-password-for-timing") })
	VerifyPassword(dummy.hash, password)
}

// checkNewPassword enforces the length bounds on a chosen password.
func checkNewPassword(field, pw string) error {
	n := utf8.RuneCountInString(pw)
	switch {
	case n < MinPasswordLen:
		return domain.BadRequest(field, "the password needs at least %d characters", MinPasswordLen)
	case n > MaxPasswordLen:
		return domain.BadRequest(field, "the password can have at most %d characters", MaxPasswordLen)
	}
	return nil
}

// RandomPassword returns a one-time password: 144 random bits, URL-safe.
func RandomPassword() string {
	var b [18]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err)
	}
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// Every argon2id computation (HashPassword, VerifyPassword and so
// burnPasswordCheck: sign-in, invite acceptance, password change and
// reset, team setup) runs under one process-wide semaphore, so a flood of
// sign-ins costs at most PasswordConcurrency() × Argon2Params.Memory of
// RAM (64 MiB each) however many arrive at once; the others wait their
// turn without holding any argon2 memory. The HTTP layer queues and sheds
// sign-ins before they get here (websession's password gate), so this wait
// stays short.
var passwordWork = newWorkLimiter(defaultPasswordConcurrency())

// defaultPasswordConcurrency is runtime.NumCPU() within [2, 16]: argon2id
// is CPU-bound, so more at once only adds memory, and 16 × 64 MiB = 1 GiB
// is the most a flood can make Roster hold.
func defaultPasswordConcurrency() int { return min(max(runtime.NumCPU(), 2), 16) }

// PasswordConcurrency is how many argon2id computations may run at once.
func PasswordConcurrency() int {
	passwordWork.mu.Lock()
	defer passwordWork.mu.Unlock()
	return passwordWork.limit
}

// SetPasswordConcurrency changes that bound (n <= 0: the default,
// runtime.NumCPU() within [2, 16]). Computations already running finish.
func SetPasswordConcurrency(n int) {
	if n <= 0 {
		n = defaultPasswordConcurrency()
	}
	passwordWork.mu.Lock()
	passwordWork.limit = n
	passwordWork.mu.Unlock()
	passwordWork.cond.Broadcast()
}

// PasswordWorkStats describes the argon2id semaphore, for tests and
// benchmarks: Runs counts computations started since the process began
// (one per password hashed or checked), MaxInFlight is the most that ever
// ran at once (see ResetPasswordWorkPeak).
type PasswordWorkStats struct {
	Runs               uint64
	InFlight, Waiting  int
	MaxInFlight, Limit int
}

// PasswordWork reports the semaphore's counters.
func PasswordWork() PasswordWorkStats {
	w := passwordWork
	w.mu.Lock()
	defer w.mu.Unlock()
	return PasswordWorkStats{Runs: w.runs, InFlight: w.inFlight, Waiting: w.waiting, MaxInFlight: w.maxInFlight, Limit: w.limit}
}

// ResetPasswordWorkPeak restarts MaxInFlight from what runs now.
func ResetPasswordWorkPeak() {
	passwordWork.mu.Lock()
	passwordWork.maxInFlight = passwordWork.inFlight
	passwordWork.mu.Unlock()
}

// workLimiter is a counting semaphore whose bound can change, with the
// counters PasswordWork reports. hook, when set (tests of this package),
// runs while a slot is held.
type workLimiter struct {
	mu                                    sync.Mutex
	cond                                  *sync.Cond
	limit, inFlight, maxInFlight, waiting int
	runs                                  uint64
	hook                                  func()
}

func newWorkLimiter(limit int) *workLimiter {
	w := &workLimiter{limit: limit}
	w.cond = sync.NewCond(&w.mu)
	return w
}

// do runs fn once a slot is free. The slot is given back even if fn panics.
func (w *workLimiter) do(fn func()) {
	w.mu.Lock()
	w.waiting++
	for w.inFlight >= w.limit {
		w.cond.Wait()
	}
	w.waiting--
	w.inFlight++
	w.runs++
	w.maxInFlight = max(w.maxInFlight, w.inFlight)
	hook := w.hook
	w.mu.Unlock()
	defer func() {
		w.mu.Lock()
		w.inFlight--
		w.mu.Unlock()
		w.cond.Signal()
	}()
	if hook != nil {
		hook()
	}
	fn()
}
