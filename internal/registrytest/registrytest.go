// Package registrytest starts real OCI registries for tests and finds the oras and crane CLIs.
//
// NewInMemory serves the in-memory registry of go-containerregistry (pkg/registry) on an
// httptest server. StartDistribution runs the CNCF distribution registry binary as a process.
// Helpers that need a binary skip the test when it is missing, unless REQUIRE_INTEGRATION=1,
// which CI sets so that a missing tool fails the run instead of hiding tests.
package registrytest

import (
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/registry"
	"oras.land/oras-go/v2/registry/remote/retry"
)

// RequireIntegrationEnv is the environment variable that turns a skip for a missing binary
// into a test failure when set to "1".
const RequireIntegrationEnv = "REQUIRE_INTEGRATION"

// NewInMemory starts the go-containerregistry in-memory registry on 127.0.0.1 and returns its
// "host:port". The registry speaks plain HTTP and stops at the end of the test. The referrers
// API stays off because in go-containerregistry v0.22.1 it reports each referrer's config media
// type as its artifactType and ignores the artifactType filter.
func NewInMemory(tb testing.TB) string {
	tb.Helper()
	return NewInMemoryWithMiddleware(tb, nil)
}

// NewInMemoryWithMiddleware is NewInMemory with wrap applied to the registry handler, so a test
// can inject faults such as a failing manifest PUT in front of the real registry. A nil wrap
// serves the registry unchanged.
func NewInMemoryWithMiddleware(tb testing.TB, wrap func(http.Handler) http.Handler) string {
	tb.Helper()
	var handler http.Handler = registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	if wrap != nil {
		handler = wrap(handler)
	}
	server := httptest.NewServer(handler)
	tb.Cleanup(server.Close)
	return strings.TrimPrefix(server.URL, "http://")
}

// ClosedAddress returns a "127.0.0.1:port" on which nothing listens, so a connection to it is
// refused. Another process may bind the port later, which is unlikely within one test.
func ClosedAddress(tb testing.TB) string {
	tb.Helper()
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("listen on a free port: %v", err)
	}
	address := listener.Addr().String()
	if err := listener.Close(); err != nil {
		tb.Fatalf("close listener %s: %v", address, err)
	}
	return address
}

// FastRetryClient returns an HTTP client that retries the same failures as the default client
// of package artifact: 5xx, 408, 429, dial timeouts and connection resets. It retries at most
// twice, after 1 to 5 ms, so a test of a failing registry does not wait for the production backoff.
func FastRetryClient() *http.Client {
	policy := &retry.GenericPolicy{
		Retryable: retry.DefaultPredicate,
		Backoff:   retry.ExponentialBackoff(time.Millisecond, 2, 0),
		MinWait:   time.Millisecond,
		MaxWait:   5 * time.Millisecond,
		MaxRetry:  2,
	}
	transport := retry.NewTransport(http.DefaultTransport)
	transport.Policy = func() retry.Policy { return policy }
	return &http.Client{Transport: transport}
}

// skipOrFatal skips the test because a tool is missing, or fails it when REQUIRE_INTEGRATION=1.
func skipOrFatal(tb testing.TB, format string, args ...any) {
	tb.Helper()
	if os.Getenv(RequireIntegrationEnv) == "1" {
		tb.Fatalf(format+" ("+RequireIntegrationEnv+"=1 requires it)", args...)
	}
	tb.Skipf(format, args...)
}
