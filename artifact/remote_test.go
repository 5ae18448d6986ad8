package artifact

import (
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/bankml/retire/internal/registrytest"
)

// unsetEnv unsets the variable for the rest of the test and restores it afterwards.
func unsetEnv(t *testing.T, name string) {
	t.Helper()
	t.Setenv(name, "")
	if err := os.Unsetenv(name); err != nil {
		t.Fatal(err)
	}
}

func TestPushPull_WithoutHomeIsAnonymous(t *testing.T) {
	unsetEnv(t, "HOME")
	unsetEnv(t, dockerConfigEnv)
	ref := mustParseReference(t, registrytest.NewInMemory(t)+"/retire:1.0.0")
	remote := RemoteOptions{PlainHTTP: true, HTTPClient: registrytest.FastRetryClient()}

	release := mustPush(t, newModelDir(t, fixtureWeights), ref, remote)
	assertTagWeights(t, ref, remote, release.Digest, string(fixtureWeights))
}

func TestPushPull_MissingDockerConfig(t *testing.T) {
	var requests atomic.Int32
	host := registrytest.NewInMemoryWithMiddleware(t, func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			requests.Add(1)
			next.ServeHTTP(w, r)
		})
	})
	ref := mustParseReference(t, host+"/retire:1.0.0")
	missing := filepath.Join(t.TempDir(), "absent", "config.json")
	remote := RemoteOptions{PlainHTTP: true, DockerConfigPath: missing, HTTPClient: registrytest.FastRetryClient()}

	_, pushErr := Push(t.Context(), newModelDir(t, fixtureWeights), ref, PushOptions{Remote: remote})
	_, pullErr := Pull(t.Context(), ref, PullOptions{Remote: remote, CacheDir: t.TempDir()})
	for operation, err := range map[string]error{"Push": pushErr, "Pull": pullErr} {
		if !errors.Is(err, ErrInvalidDockerConfig) {
			t.Errorf("%s error = %v, want ErrInvalidDockerConfig", operation, err)
		}
		if err != nil && !strings.Contains(err.Error(), missing) {
			t.Errorf("%s error %q does not name the path %s", operation, err, missing)
		}
	}
	if n := requests.Load(); n != 0 {
		t.Errorf("the registry received %d requests, want none before the Docker config is read", n)
	}
}

func TestPushPull_PlainHTTPRegistryOverHTTPS(t *testing.T) {
	hosts := map[string]string{
		"distribution registry": registrytest.StartDistribution(t),
		"in-memory registry":    registrytest.NewInMemory(t),
	}
	for name, host := range hosts {
		t.Run(name, func(t *testing.T) {
			ref := mustParseReference(t, host+"/retire:1.0.0")
			// The default HTTP client, as the trainer and model-server use it, without PlainHTTP.
			remote := RemoteOptions{DockerConfigPath: emptyDockerConfig(t)}

			_, pushErr := Push(t.Context(), newModelDir(t, fixtureWeights), ref, PushOptions{Remote: remote})
			_, pullErr := Pull(t.Context(), ref, PullOptions{Remote: remote, CacheDir: t.TempDir()})
			for operation, err := range map[string]error{"Push": pushErr, "Pull": pullErr} {
				if !errors.Is(err, ErrPlainHTTPRegistry) {
					t.Errorf("%s error = %v, want ErrPlainHTTPRegistry", operation, err)
					continue
				}
				if errors.Is(err, ErrRegistryUnreachable) {
					t.Errorf("%s error = %v also matches ErrRegistryUnreachable", operation, err)
				}
				for _, hint := range []string{"--plain-http", "REGISTRY_PLAIN_HTTP=true"} {
					if !strings.Contains(err.Error(), hint) {
						t.Errorf("%s error %q does not contain %q", operation, err, hint)
					}
				}
			}
		})
	}
}
