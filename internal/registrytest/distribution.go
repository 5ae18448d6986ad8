package registrytest

import (
	"bytes"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"
	"golang.org/x/crypto/bcrypt"
)

// DistributionBinaryEnv names an environment variable that overrides the path of the
// distribution registry binary.
const DistributionBinaryEnv = "DISTRIBUTION_REGISTRY_BIN"

// distributionStartTimeout bounds the wait for a started registry to respond to GET /v2/.
const distributionStartTimeout = 15 * time.Second

// Distribution is a running CNCF distribution registry process with filesystem storage.
type Distribution struct {
	// Host is the "127.0.0.1:port" of the registry, which speaks plain HTTP.
	Host string
	// RootDir is the root directory of the filesystem storage driver.
	RootDir string
}

// DistributionOptions configures RunDistribution. The zero value runs without authentication.
type DistributionOptions struct {
	// Username and Password, when both are set, turn on htpasswd basic authentication with
	// this single user.
	Username, Password string
}

// StartDistribution runs the distribution registry without authentication and returns its
// "host:port". See RunDistribution.
func StartDistribution(tb testing.TB) string {
	tb.Helper()
	return RunDistribution(tb, DistributionOptions{}).Host
}

// RunDistribution starts the distribution registry binary on a free port of 127.0.0.1, with
// storage in a temporary directory, and kills it at the end of the test. The binary is the
// path in DISTRIBUTION_REGISTRY_BIN, else /usr/bin/docker-registry (Debian package
// docker-registry), else docker-registry or registry in PATH. RunDistribution returns once the
// registry responds to GET /v2/.
//
// The registry logs at error level, the quietest that version 2.8 accepts, which still logs
// every 404. Its output is therefore kept in memory and printed only when the test fails.
// A missing binary skips the test unless REQUIRE_INTEGRATION=1.
func RunDistribution(tb testing.TB, opts DistributionOptions) *Distribution {
	tb.Helper()
	binary := findDistributionBinary(tb)
	rootDir := filepath.Join(tb.TempDir(), "storage")
	configDir := tb.TempDir()

	authConfig := ""
	if opts.Username != "" && opts.Password != "" {
		authConfig = writeHtpasswd(tb, configDir, opts.Username, opts.Password)
	}

	// A port chosen by ClosedAddress can be taken before the registry binds it, so a start
	// that fails with "address already in use" is tried again on a new port.
	const attempts = 3
	for attempt := 1; ; attempt++ {
		host := ClosedAddress(tb)
		configPath := filepath.Join(configDir, "config.yml")
		writeDistributionConfig(tb, configPath, host, rootDir, authConfig)

		output, err := startDistribution(tb, binary, configPath, host)
		if err == nil {
			return &Distribution{Host: host, RootDir: rootDir}
		}
		if attempt < attempts && strings.Contains(output, "address already in use") {
			continue
		}
		tb.Fatalf("start distribution registry %s on %s: %v\nregistry output:\n%s", binary, host, err, output)
	}
}

// BlobPath returns the file that holds the content of a blob in the filesystem storage of
// distribution 2.x, so a test can corrupt it.
func (d *Distribution) BlobPath(blob digest.Digest) string {
	encoded := blob.Encoded()
	return filepath.Join(d.RootDir, "docker", "registry", "v2", "blobs", blob.Algorithm().String(), encoded[:2], encoded, "data")
}

func findDistributionBinary(tb testing.TB) string {
	tb.Helper()
	if path := os.Getenv(DistributionBinaryEnv); path != "" {
		if _, err := os.Stat(path); err != nil {
			tb.Fatalf("%s=%s: %v", DistributionBinaryEnv, path, err)
		}
		return path
	}
	if _, err := os.Stat("/usr/bin/docker-registry"); err == nil {
		return "/usr/bin/docker-registry"
	}
	for _, name := range []string{"docker-registry", "registry"} {
		if path, err := exec.LookPath(name); err == nil {
			return path
		}
	}
	skipOrFatal(tb, "distribution registry binary not found: install the Debian package docker-registry or set %s", DistributionBinaryEnv)
	return ""
}

// writeHtpasswd writes an htpasswd file with one bcrypt entry and returns the auth section of
// the registry config that points to it.
func writeHtpasswd(tb testing.TB, dir, username, password string) string {
	tb.Helper()
	hash, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.MinCost)
	if err != nil {
		tb.Fatalf("hash password: %v", err)
	}
	path := filepath.Join(dir, "htpasswd")
	if err := os.WriteFile(path, []byte(username+":"+string(hash)+"\n"), 0o600); err != nil {
		tb.Fatalf("write htpasswd: %v", err)
	}
	return fmt.Sprintf("auth:\n  htpasswd:\n    realm: registrytest\n    path: %s\n", path)
}

// writeDistributionConfig writes a distribution 2.x config.yml. The HTTP secret is fixed
// because the registry is a single instance that lives for one test.
func writeDistributionConfig(tb testing.TB, path, host, rootDir, authConfig string) {
	tb.Helper()
	config := fmt.Sprintf(`version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: %s
  delete:
    enabled: true
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: %s
  secret: registrytest
%s`, rootDir, host, authConfig)
	if err := os.WriteFile(path, []byte(config), 0o600); err != nil {
		tb.Fatalf("write registry config: %v", err)
	}
}

// startDistribution starts the registry process and waits until it responds. On failure it
// stops the process and returns its output and an error.
func startDistribution(tb testing.TB, binary, configPath, host string) (string, error) {
	tb.Helper()
	output := &tailBuffer{limit: 64 << 10}
	cmd := exec.Command(binary, "serve", configPath)
	cmd.Stdout = output
	cmd.Stderr = output
	if err := cmd.Start(); err != nil {
		return "", err
	}

	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	stop := func() {
		_ = cmd.Process.Kill()
		<-exited
	}

	if err := waitReady(host, exited); err != nil {
		stop()
		return output.String(), err
	}

	tb.Cleanup(func() {
		stop()
		if tb.Failed() {
			tb.Logf("distribution registry output:\n%s", output.String())
		}
	})
	return "", nil
}

// waitReady polls GET /v2/ until the registry responds with 200, or 401 when authentication is on.
func waitReady(host string, exited <-chan error) error {
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(distributionStartTimeout)
	for time.Now().Before(deadline) {
		select {
		case err := <-exited:
			return fmt.Errorf("registry exited before it was ready: %v", err)
		default:
		}

		response, err := client.Get("http://" + host + "/v2/")
		if err == nil {
			response.Body.Close()
			if response.StatusCode == http.StatusOK || response.StatusCode == http.StatusUnauthorized {
				return nil
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("registry did not respond to GET /v2/ within %s", distributionStartTimeout)
}

// tailBuffer keeps the last limit bytes written to it; the process writes from another goroutine.
type tailBuffer struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	limit int
}

func (b *tailBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf.Write(p)
	if excess := b.buf.Len() - b.limit; excess > 0 {
		b.buf.Next(excess)
	}
	return len(p), nil
}

func (b *tailBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
