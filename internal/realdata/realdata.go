// Package realdata locates the public Bank Customer Retirement dataset and the xgboost
// reference files for tests. They are kept out of the repository, in shared/data beside
// the checkout (../shared/data from the directory that holds go.mod).
package realdata

import (
	"os"
	"path/filepath"
	"testing"
)

// RequireEnv names the environment variable that turns a missing file into a test failure
// instead of a skip. .ci/run sets it; CI systems without the data leave it unset.
const RequireEnv = "REQUIRE_REAL_DATA"

// Dataset is the path of the real dataset below the data directory.
const Dataset = "bank_customer_retirement.csv"

// Find returns the path of the file elem below ../shared/data and whether it exists, for
// optional uses such as a fuzz seed corpus.
func Find(elem ...string) (string, bool) {
	root, err := moduleRoot()
	if err != nil {
		return "", false
	}
	path := filepath.Join(append([]string{root, "..", "shared", "data"}, elem...)...)
	_, err = os.Stat(path)
	return path, err == nil
}

// Path returns the file elem below ../shared/data, or skips the test when it is absent
// (fails it when REQUIRE_REAL_DATA=1).
func Path(tb testing.TB, elem ...string) string {
	tb.Helper()
	path, _ := Find(elem...)
	if _, err := os.Stat(path); err != nil {
		if os.Getenv(RequireEnv) == "1" {
			tb.Fatalf("%s=1 but %s is missing: %v", RequireEnv, path, err)
		}
		tb.Skipf("skipping: %s is missing (%v); set %s=1 to fail instead", path, err, RequireEnv)
	}
	return path
}

// moduleRoot walks up from the working directory, which go test sets to the package's
// directory, to the directory that holds go.mod.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", os.ErrNotExist
		}
		dir = parent
	}
}
