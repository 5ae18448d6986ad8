package artifact

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/bankml/retire/internal/registrytest"
	"oras.land/oras-go/v2/registry/remote"
)

func TestPush_FailedManifestPutLeavesNoTag(t *testing.T) {
	var failing atomic.Bool
	var failedPuts atomic.Int32
	failing.Store(true)
	host := registrytest.NewInMemoryWithMiddleware(t, func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodPut && strings.Contains(r.URL.Path, "/manifests/") && failing.Load() {
				failedPuts.Add(1)
				http.Error(w, `{"errors":[{"code":"UNKNOWN","message":"injected manifest failure"}]}`, http.StatusInternalServerError)
				return
			}
			next.ServeHTTP(w, r)
		})
	})
	ref := mustParseReference(t, host+"/retire:1.0.0")
	remote := plainHTTP(t)
	dir := newModelDir(t, fixtureWeights)

	_, err := Push(t.Context(), dir, ref, PushOptions{Remote: remote})
	if err == nil {
		t.Fatal("Push succeeded although every manifest PUT failed")
	}
	if failedPuts.Load() == 0 {
		t.Fatal("Push failed before it sent a manifest PUT, so the test checked nothing")
	}
	if !strings.Contains(err.Error(), "injected manifest failure") {
		t.Errorf("Push error %q does not carry the registry's message", err)
	}
	if _, err := Pull(t.Context(), ref, PullOptions{Remote: remote, CacheDir: t.TempDir()}); !errors.Is(err, ErrNotFound) {
		t.Errorf("Pull after the failed push: error %v, want ErrNotFound", err)
	}

	// The blobs of the failed push are reused, and the retried push is not ErrVersionExists.
	failing.Store(false)
	release := mustPush(t, dir, ref, remote)
	assertTagWeights(t, ref, remote, release.Digest, string(fixtureWeights))
}

func TestPush_CancelledLeavesNoTag(t *testing.T) {
	tests := []struct {
		name string
		// cancelOn reports whether the request is the one during which the push is cancelled.
		cancelOn func(r *http.Request) bool
	}{
		{name: "during first blob upload", cancelOn: func(r *http.Request) bool {
			return strings.Contains(r.URL.Path, "/blobs/uploads/")
		}},
		{name: "during manifest upload", cancelOn: func(r *http.Request) bool {
			return r.Method == http.MethodPut && strings.Contains(r.URL.Path, "/manifests/")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			var cancelled atomic.Bool
			host := registrytest.NewInMemoryWithMiddleware(t, func(next http.Handler) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if tt.cancelOn(r) && !cancelled.Swap(true) {
						cancel()
					}
					next.ServeHTTP(w, r)
				})
			})
			ref := mustParseReference(t, host+"/retire:1.0.0")
			remote := plainHTTP(t)

			_, err := Push(ctx, newModelDir(t, fixtureWeights), ref, PushOptions{Remote: remote})
			if !cancelled.Load() {
				t.Fatal("the push never sent the request that cancels it")
			}
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("Push error = %v, want context.Canceled", err)
			}
			if _, err := Pull(t.Context(), ref, PullOptions{Remote: remote, CacheDir: t.TempDir()}); !errors.Is(err, ErrNotFound) {
				t.Errorf("Pull after the cancelled push: error %v, want ErrNotFound", err)
			}
		})
	}
}

func TestPush_Credentials(t *testing.T) {
	const username, password = "trainer", "correct-horse-battery"
	registry := registrytest.RunDistribution(t, registrytest.DistributionOptions{Username: username, Password: password})
	ref := mustParseReference(t, registry.Host+"/retire:1.0.0")
	dir := newModelDir(t, fixtureWeights)

	anonymous := plainHTTP(t)
	_, err := Push(t.Context(), dir, ref, PushOptions{Remote: anonymous})
	if !errors.Is(err, ErrUnauthorized) {
		t.Errorf("Push without credentials: error %v, want ErrUnauthorized", err)
	}
	if errors.Is(err, ErrRegistryUnreachable) {
		t.Errorf("Push without credentials: error %v also matches ErrRegistryUnreachable", err)
	}

	wrong := plainHTTP(t)
	wrong.Username, wrong.Password = username, "wrong-password-value"
	_, err = Push(t.Context(), dir, ref, PushOptions{Remote: wrong})
	if !errors.Is(err, ErrUnauthorized) {
		t.Errorf("Push with a wrong password: error %v, want ErrUnauthorized", err)
	}
	if err != nil && strings.Contains(err.Error(), wrong.Password) {
		t.Errorf("Push error %q contains the password", err)
	}

	static := plainHTTP(t)
	static.Username, static.Password = username, password
	release := mustPush(t, dir, ref, static)

	// Credentials from a Docker config file, as "docker login" writes them.
	fromConfig := plainHTTP(t)
	auth := base64.StdEncoding.EncodeToString([]byte(username + ":" + password))
	writeFile(t, fromConfig.DockerConfigPath, fmt.Appendf(nil, `{"auths":{%q:{"auth":%q}}}`, registry.Host, auth))
	assertTagWeights(t, ref, fromConfig, release.Digest, string(fixtureWeights))

	_, err = Pull(t.Context(), ref, PullOptions{Remote: anonymous, CacheDir: t.TempDir()})
	if !errors.Is(err, ErrUnauthorized) {
		t.Errorf("Pull without credentials: error %v, want ErrUnauthorized", err)
	}
}

func TestPush_InvalidDockerConfig(t *testing.T) {
	opts := plainHTTP(t)
	writeFile(t, opts.DockerConfigPath, []byte("{not json"))
	ref := mustParseReference(t, registrytest.NewInMemory(t)+"/retire:1.0.0")

	_, err := Push(t.Context(), newModelDir(t, fixtureWeights), ref, PushOptions{Remote: opts})
	if err == nil || !strings.Contains(err.Error(), "Docker config") {
		t.Errorf("Push with a broken Docker config: error %v, want one that names the Docker config", err)
	}
}

// newTestRepository returns an oras-go client for a repository of a test registry.
func newTestRepository(t *testing.T, host, repository string) *remote.Repository {
	t.Helper()
	repo, err := remote.NewRepository(host + "/" + repository)
	if err != nil {
		t.Fatal(err)
	}
	repo.PlainHTTP = true
	return repo
}

func TestPush_LayoutCreatesDirectory(t *testing.T) {
	layout := filepath.Join(t.TempDir(), "new", "layout")
	ref := mustParseReference(t, "oci:"+layout+":1.0.0")
	mustPush(t, newModelDir(t, fixtureWeights), ref, RemoteOptions{})

	if _, err := ValidateDir(layout); err == nil {
		t.Fatal("layout directory validated as a model directory")
	}
	for _, name := range []string{"oci-layout", "index.json"} {
		readFile(t, filepath.Join(layout, name))
	}
}
