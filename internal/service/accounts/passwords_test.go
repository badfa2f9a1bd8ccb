package accounts

import (
	"os"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

func TestPasswordHash(t *testing.T) {
	h, err := HashPassword(DefaultPasswordParams(), "hunter2 hunter2") // production parameters
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^\$argon2id\$v=19\$m=65536,t=3,p=4\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$`).MatchString(h) {
		t.Fatalf("not PHC argon2id: %s", h)
	}
	h2, _ := HashPassword(DefaultPasswordParams(), "hunter2 hunter2")
	if h == h2 {
		t.Fatal("no salt")
	}
	for _, tc := range []struct {
		hash, pw string
		ok       bool
	}{
		{h, "hunter2 hunter2", true},
		{h, "hunter2 hunter3", false},
		{h, "", false},
		{"", "", false},
		{strings.Replace(h, "argon2id", "argon2i", 1), "hunter2 hunter2", false},
		{strings.Replace(h, "t=3", "t=2", 1), "hunter2 hunter2", false},
		{"$argon2id$v=19$m=999999999,t=1,p=1$c2FsdA$aGFzaA", "x", false},
		{"garbage", "x", false},
	} {
		if got := VerifyPassword(tc.hash, tc.pw); got != tc.ok {
			t.Errorf("Verify(%q, %q) = %v", tc.hash, tc.pw, got)
		}
	}
}

// TestPasswordWorkBounded floods VerifyPassword and HashPassword from more
// goroutines than the semaphore admits: no more than its limit ever run
// argon2id at once (which is what bounds memory: 64 MiB each in
// production), the others wait, and every one of them runs.
func TestPasswordWorkBounded(t *testing.T) {
	const limit, callers = 3, 12
	cheap := Argon2Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}
	hash, err := HashPassword(cheap, "a password of ours")
	if err != nil {
		t.Fatal(err)
	}
	SetPasswordConcurrency(limit)
	entered, proceed := make(chan struct{}), make(chan struct{})
	passwordWork.mu.Lock()
	passwordWork.hook = func() { entered <- struct{}{}; <-proceed }
	passwordWork.mu.Unlock()
	t.Cleanup(func() {
		passwordWork.mu.Lock()
		passwordWork.hook = nil
		passwordWork.mu.Unlock()
		SetPasswordConcurrency(0)
	})
	ResetPasswordWorkPeak()
	before := PasswordWork()

	done := make(chan bool, callers)
	for i := range callers {
		go func() {
			if i%2 == 0 {
				done <- VerifyPassword(hash, "a password of ours")
				return
			}
			_, err := HashPassword(cheap, "another password")
			done <- err == nil
		}()
	}
	for range limit {
		<-entered
	}
	// Everyone else is queued behind the semaphore, none inside.
	for PasswordWork().Waiting != callers-limit {
		runtime.Gosched()
	}
	if st := PasswordWork(); st.InFlight != limit || st.MaxInFlight != limit {
		t.Fatalf("in flight %d, peak %d; want %d", st.InFlight, st.MaxInFlight, limit)
	}
	select {
	case <-entered:
		t.Fatalf("a %dth computation ran while %d held the semaphore", limit+1, limit)
	default:
	}
	// Let them through one at a time: each exit admits exactly one more.
	for i := range callers {
		proceed <- struct{}{}
		if i+limit < callers {
			<-entered
		}
		if st := PasswordWork(); st.InFlight > limit {
			t.Fatalf("in flight %d > %d", st.InFlight, limit)
		}
	}
	for range callers {
		if !<-done {
			t.Fatal("a password check or hash failed")
		}
	}
	after := PasswordWork()
	if after.MaxInFlight != limit || after.Runs-before.Runs != callers || after.InFlight != 0 || after.Waiting != 0 {
		t.Fatalf("stats %+v (runs before %d)", after, before.Runs)
	}
}

// TestSetPasswordConcurrency: 0 is the default, NumCPU within [2, 16].
func TestSetPasswordConcurrency(t *testing.T) {
	t.Cleanup(func() { SetPasswordConcurrency(0) })
	SetPasswordConcurrency(5)
	if PasswordConcurrency() != 5 {
		t.Fatal(PasswordConcurrency())
	}
	SetPasswordConcurrency(0)
	if n := PasswordConcurrency(); n != min(max(runtime.NumCPU(), 2), 16) {
		t.Fatalf("default %d", n)
	}
}

// BenchmarkPasswordFlood checks wrong passwords with the production
// parameters (64 MiB each) from 8× as many goroutines as the semaphore
// admits, and reports the peak of argon2id computations at once and the
// process's peak RSS (Linux): the flood's memory is the semaphore's limit
// × 64 MiB (plus what the garbage collector has not yet returned), not the
// number of callers × 64 MiB.
//
//	go test ./internal/service/accounts -run '^$' -bench PasswordFlood -benchtime 40x
func BenchmarkPasswordFlood(b *testing.B) {
	hash, err := HashPassword(DefaultPasswordParams(), "the right password")
	if err != nil {
		b.Fatal(err)
	}
	ResetPasswordWorkPeak()
	limit := PasswordConcurrency()
	b.SetParallelism(8 * limit / max(runtime.GOMAXPROCS(0), 1))
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if VerifyPassword(hash, "a wrong password") {
				b.Error("matched")
			}
		}
	})
	st := PasswordWork()
	if st.MaxInFlight > limit {
		b.Fatalf("%d argon2id at once, limit %d", st.MaxInFlight, limit)
	}
	b.ReportMetric(float64(st.MaxInFlight), "max-in-flight")
	b.ReportMetric(float64(limit), "limit")
	if hwm := peakRSS(); hwm > 0 {
		b.ReportMetric(float64(hwm)/(1<<20), "peak-RSS-MiB")
	}
}

// peakRSS is the process's peak resident set (VmHWM), 0 where unknown.
func peakRSS() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}
