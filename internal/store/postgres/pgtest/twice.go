package pgtest

import (
	"fmt"
	"os"
	"testing"
)

// RunTwice runs a test suite from its TestMain: once as it is set up
// (SQLite), then, if that passed, again on PostgreSQL (SecondPass). It
// returns the exit code for os.Exit.
func RunTwice(m *testing.M, suite string, usePostgres func()) int {
	if code := m.Run(); code != 0 {
		return code
	}
	return SecondPass(m, suite, usePostgres)
}

// SecondPass runs the suite m again on PostgreSQL when ROSTER_TEST_POSTGRES_URL
// is set: usePostgres switches the suite's stores over before it runs.
// Without the variable the pass is skipped with a message naming it; under
// CI=true, where a skipped pass would hide a broken setup, that fails the run
// instead. suite names the suite in the messages ("e2e"). It returns the
// exit code for os.Exit.
func SecondPass(m *testing.M, suite string, usePostgres func()) int {
	if os.Getenv(EnvURL) == "" {
		if os.Getenv("CI") == "true" {
			fmt.Printf("FAIL: %s PostgreSQL pass: %s is not set, and CI=true (.ci/run sets it)\n", suite, EnvURL)
			return 1
		}
		fmt.Printf("%s: PostgreSQL pass skipped: set %s (e.g. postgres://root@127.0.0.1:5432/test?sslmode=disable) to run it\n", suite, EnvURL)
		return 0
	}
	fmt.Printf("%s: PostgreSQL pass\n", suite)
	usePostgres()
	return m.Run()
}
