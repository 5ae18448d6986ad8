package registrytest

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// FindOras returns the path of the oras CLI, looked up in PATH, then /root/go/bin, then
// $(go env GOPATH)/bin. When it is missing the test is skipped, or fails if REQUIRE_INTEGRATION=1.
func FindOras(tb testing.TB) string {
	tb.Helper()
	if path, err := exec.LookPath("oras"); err == nil {
		return path
	}

	candidates := []string{"/root/go/bin/oras"}
	if gopath := goPath(); gopath != "" {
		for _, dir := range filepath.SplitList(gopath) {
			candidates = append(candidates, filepath.Join(dir, "bin", "oras"))
		}
	}
	for _, path := range candidates {
		if info, err := os.Stat(path); err == nil && info.Mode().IsRegular() && info.Mode()&0o111 != 0 {
			return path
		}
	}

	skipOrFatal(tb, "oras CLI not found in PATH or %s; install it with: go install oras.land/oras/cmd/oras@v1.3.6",
		strings.Join(candidates, ", "))
	return ""
}

// goPath returns $GOPATH, or the output of "go env GOPATH" when the variable is unset.
func goPath() string {
	if gopath := os.Getenv("GOPATH"); gopath != "" {
		return gopath
	}
	output, err := exec.Command("go", "env", "GOPATH").Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(output))
}
