package registrytest

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// FindOras returns the path of the oras CLI. See FindTool.
func FindOras(tb testing.TB) string {
	tb.Helper()
	return FindTool(tb, "oras", "go install oras.land/oras/cmd/oras@v1.3.6")
}

// FindCrane returns the path of the crane CLI of go-containerregistry. See FindTool.
func FindCrane(tb testing.TB) string {
	tb.Helper()
	return FindTool(tb, "crane", "go install github.com/google/go-containerregistry/cmd/crane@v0.22.1")
}

// FindTool returns the path of a Go-installed command, looked up in PATH, then /root/go/bin,
// then $(go env GOPATH)/bin. When it is missing the test is skipped with installHint, or fails
// if REQUIRE_INTEGRATION=1.
func FindTool(tb testing.TB, name, installHint string) string {
	tb.Helper()
	if path, err := exec.LookPath(name); err == nil {
		return path
	}

	candidates := []string{filepath.Join("/root/go/bin", name)}
	if gopath := goPath(); gopath != "" {
		for _, dir := range filepath.SplitList(gopath) {
			candidates = append(candidates, filepath.Join(dir, "bin", name))
		}
	}
	for _, path := range candidates {
		if info, err := os.Stat(path); err == nil && info.Mode().IsRegular() && info.Mode()&0o111 != 0 {
			return path
		}
	}

	skipOrFatal(tb, "%s not found in PATH or %s; install it with: %s", name, strings.Join(candidates, ", "), installHint)
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
