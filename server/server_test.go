package server

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/opencontainers/go-digest"

	"github.com/bankml/retire/artifact"
	"github.com/bankml/retire/classifier"
	"github.com/bankml/retire/classifier/gbdt"
	"github.com/bankml/retire/classifier/impute"
	"github.com/bankml/retire/internal/registrytest"
	"github.com/bankml/retire/schemas"
	"github.com/bankml/retire/server/servertest"
)

// serving is a Server running Serve on a real listener of 127.0.0.1.
type serving struct {
	url  string
	stop context.CancelFunc
	done chan error
}

// startServe runs s.Serve on a free port of 127.0.0.1 until the returned stop is called.
func startServe(t *testing.T, s *Server) *serving {
	t.Helper()
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	run := &serving{url: "http://" + listener.Addr().String(), stop: cancel, done: make(chan error, 1)}
	go func() { run.done <- s.Serve(ctx, listener) }()
	t.Cleanup(func() {
		cancel()
		<-run.done
	})
	return run
}

// waitReady polls /readyz until it returns 200, for at most 30 seconds.
func (r *serving) waitReady(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(r.url + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		select {
		case err := <-r.done:
			t.Fatalf("Serve returned before the server was ready: %v", err)
		case <-time.After(20 * time.Millisecond):
		}
	}
	t.Fatal("server not ready within 30s")
}

// wait returns the error of Serve, failing the test if Serve does not return within 30 seconds.
func (r *serving) wait(t *testing.T) error {
	t.Helper()
	select {
	case err := <-r.done:
		r.done <- err // for the cleanup
		return err
	case <-time.After(30 * time.Second):
		t.Fatal("Serve did not return within 30s")
		return nil
	}
}

func TestServe_ShutdownFinishesInFlightRequest(t *testing.T) {
	ts := newTestServer(t, nil)
	started, release := make(chan struct{}), make(chan struct{})
	ts.engine.GET("/slow", func(c *gin.Context) {
		close(started)
		<-release
		c.String(http.StatusOK, "finished")
	})
	run := startServe(t, ts.Server)
	run.waitReady(t)

	type result struct {
		status int
		body   string
		err    error
	}
	inFlight := make(chan result, 1)
	go func() {
		resp, err := http.Get(run.url + "/slow")
		if err != nil {
			inFlight <- result{err: err}
			return
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		inFlight <- result{status: resp.StatusCode, body: string(body), err: err}
	}()
	<-started

	run.stop()
	// Serve must wait for the request, so it cannot have returned while the handler blocks.
	select {
	case err := <-run.done:
		t.Fatalf("Serve returned %v while a request was in flight", err)
	case <-time.After(100 * time.Millisecond):
	}

	recorder := httptest.NewRecorder()
	ts.Handler().ServeHTTP(recorder, httptest.NewRequest(http.MethodGet, "/readyz", nil))
	if recorder.Code != http.StatusServiceUnavailable {
		t.Errorf("GET /readyz while shutting down: status %d, want 503", recorder.Code)
	}
	// A client without keep-alive opens a new connection instead of reusing a pooled one.
	fresh := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	if _, err := fresh.Get(run.url + "/healthz"); err == nil {
		t.Error("a new connection was accepted after shutdown began")
	}

	close(release)
	got := <-inFlight
	if got.err != nil || got.status != http.StatusOK || got.body != "finished" {
		t.Errorf("in-flight request: status %d, body %q, error %v, want 200 finished", got.status, got.body, got.err)
	}
	if err := run.wait(t); err != nil {
		t.Errorf("Serve after shutdown = %v, want nil", err)
	}
}

func TestServe_ShutdownTimeoutCutsOffRequest(t *testing.T) {
	ts := newTestServer(t, func(cfg *Config) { cfg.ShutdownTimeout = 50 * time.Millisecond })
	started, release := make(chan struct{}), make(chan struct{})
	defer close(release)
	ts.engine.GET("/stuck", func(c *gin.Context) {
		close(started)
		<-release
	})
	run := startServe(t, ts.Server)
	run.waitReady(t)

	go func() {
		resp, err := http.Get(run.url + "/stuck")
		if err == nil {
			resp.Body.Close()
		}
	}()
	<-started
	run.stop()

	err := run.wait(t)
	if err == nil || !strings.Contains(err.Error(), "did not finish within SHUTDOWN_TIMEOUT 50ms") {
		t.Errorf("Serve = %v, want an error about SHUTDOWN_TIMEOUT", err)
	}
}

func TestServe_LoadFailureStopsServer(t *testing.T) {
	ts := newTestServer(t, func(cfg *Config) { cfg.Version = "9.9.9" })
	run := startServe(t, ts.Server)

	err := run.wait(t)
	if !errors.Is(err, ErrModelUnavailable) || !errors.Is(err, artifact.ErrNotFound) {
		t.Fatalf("Serve = %v, want ErrModelUnavailable and artifact.ErrNotFound", err)
	}
	want := `model version "9.9.9" not found in registry ` + ts.model.Repository + ", check MODEL_VERSION"
	if !strings.HasPrefix(err.Error(), want) {
		t.Errorf("error %q does not start with %q", err, want)
	}
	if _, err := http.Get(run.url + "/healthz"); err == nil {
		t.Error("the listener still accepts connections after a failed start-up")
	}
}

func TestServe_CancelDuringPull(t *testing.T) {
	pullStarted := make(chan struct{}, 1)
	host := registrytest.NewInMemoryWithMiddleware(t, func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.Contains(r.URL.Path, "/manifests/") && r.Method == http.MethodGet {
				select {
				case pullStarted <- struct{}{}:
				default:
				}
				// Stall until the client gives up, like an overloaded registry.
				<-r.Context().Done()
				return
			}
			next.ServeHTTP(w, r)
		})
	})
	model := servertest.PushModel(t, host+"/retire", fixtureVersion)
	s, err := New(Config{Repository: model.Repository, Version: model.Version, PlainHTTP: true, CacheDir: t.TempDir()}, discardLogger())
	if err != nil {
		t.Fatal(err)
	}
	run := startServe(t, s)

	<-pullStarted
	run.stop()
	if err := run.wait(t); err != nil {
		t.Errorf("Serve after a stop during the pull = %v, want nil", err)
	}
}

func TestLoadModel_Errors(t *testing.T) {
	tests := []struct {
		name     string
		setup    func(t *testing.T) Config
		wantErrs []error
		wantText string
	}{
		{
			name: "unknown version",
			setup: func(t *testing.T) Config {
				host := registrytest.NewInMemory(t)
				servertest.PushModel(t, host+"/retire", fixtureVersion)
				return Config{Repository: host + "/retire", Version: "9.9.9", PlainHTTP: true}
			},
			wantErrs: []error{ErrModelUnavailable, artifact.ErrNotFound},
			wantText: `model version "9.9.9" not found in registry`,
		},
		{
			name: "unknown digest",
			setup: func(t *testing.T) Config {
				host := registrytest.NewInMemory(t)
				servertest.PushModel(t, host+"/retire", fixtureVersion)
				return Config{Repository: host + "/retire", Version: "sha256:" + strings.Repeat("ab", 32), PlainHTTP: true}
			},
			wantErrs: []error{ErrModelUnavailable, artifact.ErrNotFound},
			wantText: `model version "sha256:abab`,
		},
		{
			name: "unreachable registry",
			setup: func(t *testing.T) Config {
				return Config{Repository: registrytest.ClosedAddress(t) + "/retire", Version: fixtureVersion, PlainHTTP: true}
			},
			wantErrs: []error{ErrModelUnavailable, artifact.ErrRegistryUnreachable},
			wantText: "is unreachable, check MODEL_REPOSITORY",
		},
		{
			name: "wrong artifact type",
			setup: func(t *testing.T) Config {
				host := registrytest.NewInMemory(t)
				servertest.PushOtherArtifact(t, host, "retire", "1.0.0")
				return Config{Repository: host + "/retire", Version: "1.0.0", PlainHTTP: true}
			},
			wantErrs: []error{ErrModelUnavailable, artifact.ErrWrongArtifactType},
			wantText: "is not a model release",
		},
		{
			name: "corrupted weights blob",
			setup: func(t *testing.T) Config {
				layout := filepath.Join(t.TempDir(), "store")
				model := servertest.PushModel(t, "oci:"+layout, fixtureVersion)
				weights := servertest.LayerDigest(t, layout, model.Digest, servertest.WeightsFile)
				servertest.CorruptFile(t, servertest.LayoutBlobPath(layout, weights))
				return Config{Repository: "oci:" + layout, Version: fixtureVersion}
			},
			wantErrs: []error{ErrModelUnavailable, artifact.ErrDigestMismatch},
			wantText: "is corrupted",
		},
		{
			name: "missing layout",
			setup: func(t *testing.T) Config {
				return Config{Repository: "oci:" + filepath.Join(t.TempDir(), "absent"), Version: fixtureVersion}
			},
			wantErrs: []error{ErrModelUnavailable, artifact.ErrNotFound},
			wantText: `model version "0.1.0" not found in OCI layout`,
		},
		{
			name: "invalid weights",
			setup: func(t *testing.T) Config {
				dir := t.TempDir()
				servertest.WriteModelDir(t, dir)
				if err := os.WriteFile(filepath.Join(dir, servertest.WeightsFile), []byte(`{"format":"logistic-json/v1"}`), 0o644); err != nil {
					t.Fatal(err)
				}
				layout := filepath.Join(t.TempDir(), "store")
				ref, err := artifact.JoinReference("oci:"+layout, fixtureVersion)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := artifact.Push(t.Context(), dir, ref, artifact.PushOptions{Created: servertest.Created}); err != nil {
					t.Fatal(err)
				}
				return Config{Repository: "oci:" + layout, Version: fixtureVersion}
			},
			wantErrs: []error{ErrInvalidModel, classifier.ErrInvalid},
			wantText: "cannot be loaded, publish a fixed release under a new version",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := tt.setup(t)
			cfg.CacheDir = t.TempDir()
			s, err := New(cfg, discardLogger())
			if err != nil {
				t.Fatal(err)
			}
			err = s.LoadModel(t.Context())
			for _, want := range tt.wantErrs {
				if !errors.Is(err, want) {
					t.Errorf("LoadModel = %v, want %v", err, want)
				}
			}
			if err != nil && !strings.Contains(err.Error(), tt.wantText) {
				t.Errorf("error %q does not contain %q", err, tt.wantText)
			}
			if s.model.Load() != nil {
				t.Error("the server has a model after a failed load")
			}
		})
	}
}

func TestLoadModel_CorruptedBlobInLayout(t *testing.T) {
	layout := filepath.Join(t.TempDir(), "store")
	model := servertest.PushModel(t, "oci:"+layout, fixtureVersion)
	weights := servertest.LayerDigest(t, layout, model.Digest, servertest.WeightsFile)
	blobPath := servertest.LayoutBlobPath(layout, weights)
	servertest.CorruptFile(t, blobPath)
	cfg := Config{Repository: "oci:" + layout, Version: fixtureVersion}

	err := loadFreshModel(t, cfg)
	if !errors.Is(err, ErrModelUnavailable) || !errors.Is(err, artifact.ErrDigestMismatch) {
		t.Fatalf("LoadModel = %v, want ErrModelUnavailable and artifact.ErrDigestMismatch", err)
	}
	for _, text := range []string{"is corrupted in OCI layout " + layout, "replace the file " + blobPath, "delete it and then push the same model directory again", weights.String()} {
		if !strings.Contains(err.Error(), text) {
			t.Errorf("error %q does not contain %q", err, text)
		}
	}

	// The advice works: without the corrupted file, a push of the same model restores it.
	if err := os.Remove(blobPath); err != nil {
		t.Fatal(err)
	}
	servertest.Push(t, model.Metadata, model.Pipeline, "oci:"+layout, fixtureVersion)
	if err := loadFreshModel(t, cfg); err != nil {
		t.Errorf("LoadModel after the blob was deleted and the model pushed again: %v", err)
	}
}

func TestLoadModel_CorruptedBlobInDistribution(t *testing.T) {
	registry := registrytest.RunDistribution(t, registrytest.DistributionOptions{})
	model := servertest.PushModel(t, registry.Host+"/retire", fixtureVersion)
	weights, err := model.Pipeline.MarshalWeights()
	if err != nil {
		t.Fatal(err)
	}
	// Layers are the files' raw bytes, so the weights layer's digest is that of the file.
	weightsDigest := digest.FromBytes(weights)
	servertest.CorruptFile(t, registry.BlobPath(weightsDigest))
	cfg := Config{Repository: model.Repository, Version: fixtureVersion, PlainHTTP: true}

	err = loadFreshModel(t, cfg)
	if !errors.Is(err, ErrModelUnavailable) || !errors.Is(err, artifact.ErrDigestMismatch) {
		t.Fatalf("LoadModel = %v, want ErrModelUnavailable and artifact.ErrDigestMismatch", err)
	}
	wantTexts := []string{
		"is corrupted in registry " + model.Repository,
		"the registry's operator must restore blob " + weightsDigest.String() + " (" + servertest.WeightsFile + ")",
		"delete it from the registry's storage and then push the same model directory again",
	}
	for _, text := range wantTexts {
		if !strings.Contains(err.Error(), text) {
			t.Errorf("error %q does not contain %q", err, text)
		}
	}

	// A push while the corrupted copy is stored changes nothing, but one after the operator
	// deleted it uploads the blob again.
	servertest.Push(t, model.Metadata, model.Pipeline, model.Repository, fixtureVersion)
	if err := loadFreshModel(t, cfg); !errors.Is(err, artifact.ErrDigestMismatch) {
		t.Errorf("LoadModel after a push over the corrupted blob = %v, want artifact.ErrDigestMismatch", err)
	}
	if err := os.Remove(registry.BlobPath(weightsDigest)); err != nil {
		t.Fatal(err)
	}
	servertest.Push(t, model.Metadata, model.Pipeline, model.Repository, fixtureVersion)
	if err := loadFreshModel(t, cfg); err != nil {
		t.Errorf("LoadModel after the blob was deleted and the model pushed again: %v", err)
	}
}

// loadFreshModel runs LoadModel of a new server for cfg with an empty cache directory.
func loadFreshModel(t *testing.T, cfg Config) error {
	t.Helper()
	cfg.CacheDir = t.TempDir()
	s, err := New(cfg, discardLogger())
	if err != nil {
		t.Fatal(err)
	}
	return s.LoadModel(t.Context())
}

func TestLoadModel_PlainHTTPRegistryOverHTTPS(t *testing.T) {
	host := registrytest.StartDistribution(t)
	servertest.PushModel(t, host+"/retire", fixtureVersion)

	err := loadFreshModel(t, Config{Repository: host + "/retire", Version: fixtureVersion})
	if !errors.Is(err, ErrModelUnavailable) || !errors.Is(err, artifact.ErrPlainHTTPRegistry) {
		t.Fatalf("LoadModel = %v, want ErrModelUnavailable and artifact.ErrPlainHTTPRegistry", err)
	}
	if !strings.HasPrefix(err.Error(), "registry "+host+"/retire responded to HTTPS with plain HTTP, set REGISTRY_PLAIN_HTTP=true") {
		t.Errorf("error %q does not start with the REGISTRY_PLAIN_HTTP hint", err)
	}
}

func TestLoadModel_DockerConfig(t *testing.T) {
	host := registrytest.NewInMemory(t)
	servertest.PushModel(t, host+"/retire", fixtureVersion)
	missing := filepath.Join(t.TempDir(), "docker", "config.json")

	err := loadFreshModel(t, Config{Repository: host + "/retire", Version: fixtureVersion, PlainHTTP: true, DockerConfig: missing})
	if !errors.Is(err, ErrModelUnavailable) || !errors.Is(err, artifact.ErrInvalidDockerConfig) {
		t.Fatalf("LoadModel = %v, want ErrModelUnavailable and artifact.ErrInvalidDockerConfig", err)
	}
	for _, text := range []string{"REGISTRY_DOCKER_CONFIG " + strconv.Quote(missing), "no Docker config file at " + missing} {
		if !strings.Contains(err.Error(), text) {
			t.Errorf("error %q does not contain %q", err, text)
		}
	}

	// Without HOME or DOCKER_CONFIG there is no default Docker config, so the pull is anonymous.
	unsetEnv(t, "HOME")
	unsetEnv(t, "DOCKER_CONFIG")
	if err := loadFreshModel(t, Config{Repository: host + "/retire", Version: fixtureVersion, PlainHTTP: true}); err != nil {
		t.Errorf("LoadModel without HOME: %v", err)
	}
}

// unsetEnv unsets the variable for the rest of the test and restores it afterwards.
func unsetEnv(t *testing.T, name string) {
	t.Helper()
	t.Setenv(name, "")
	if err := os.Unsetenv(name); err != nil {
		t.Fatal(err)
	}
}

func TestLoadModel_AnonymousUnauthorized(t *testing.T) {
	registry := registrytest.RunDistribution(t, registrytest.DistributionOptions{Username: "trainer", Password: "push-secret"})
	dockerConfig := filepath.Join(t.TempDir(), "config.json")
	if err := os.WriteFile(dockerConfig, []byte("{}"), 0o600); err != nil {
		t.Fatal(err)
	}

	err := loadFreshModel(t, Config{Repository: registry.Host + "/retire", Version: fixtureVersion, PlainHTTP: true, DockerConfig: dockerConfig})
	if !errors.Is(err, artifact.ErrUnauthorized) {
		t.Fatalf("LoadModel = %v, want artifact.ErrUnauthorized", err)
	}
	want := "registry " + registry.Host + "/retire denied access to " + registry.Host + "/retire:" + fixtureVersion
	if !strings.HasPrefix(err.Error(), want) || !strings.Contains(err.Error(), "set REGISTRY_USERNAME and REGISTRY_PASSWORD, or REGISTRY_DOCKER_CONFIG") {
		t.Errorf("error %q does not start with %q and name the credential settings", err, want)
	}
}

func TestLoadModel_PullTimeout(t *testing.T) {
	host := registrytest.NewInMemoryWithMiddleware(t, func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.Contains(r.URL.Path, "/manifests/") && r.Method == http.MethodGet {
				<-r.Context().Done()
				return
			}
			next.ServeHTTP(w, r)
		})
	})
	servertest.PushModel(t, host+"/retire", fixtureVersion)
	s, err := New(Config{Repository: host + "/retire", Version: fixtureVersion, PlainHTTP: true, PullTimeout: time.Second}, discardLogger())
	if err != nil {
		t.Fatal(err)
	}

	err = s.LoadModel(t.Context())
	if !errors.Is(err, ErrModelUnavailable) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("LoadModel = %v, want ErrModelUnavailable and context.DeadlineExceeded", err)
	}
	if !strings.Contains(err.Error(), "timed out after MODEL_PULL_TIMEOUT 1s") {
		t.Errorf("error %q does not name MODEL_PULL_TIMEOUT", err)
	}
}

func TestLoadModel_Unauthorized(t *testing.T) {
	registry := registrytest.RunDistribution(t, registrytest.DistributionOptions{Username: "trainer", Password: "push-secret"})
	s, err := New(Config{
		Repository: registry.Host + "/retire",
		Version:    fixtureVersion,
		PlainHTTP:  true,
		Username:   "trainer",
		Password:   "wrong-secret",
		CacheDir:   t.TempDir(),
	}, discardLogger())
	if err != nil {
		t.Fatal(err)
	}

	err = s.LoadModel(t.Context())
	if !errors.Is(err, artifact.ErrUnauthorized) {
		t.Fatalf("LoadModel = %v, want artifact.ErrUnauthorized", err)
	}
	if !strings.Contains(err.Error(), "rejected the credentials") {
		t.Errorf("error %q does not say that the credentials were rejected", err)
	}
	if strings.Contains(err.Error(), "wrong-secret") {
		t.Errorf("error %q shows the password", err)
	}
}

func TestLoadModel_PinnedByDigest(t *testing.T) {
	host := registrytest.NewInMemory(t)
	model := servertest.PushModel(t, host+"/retire", fixtureVersion)
	ts := newLoadedServer(t, func(cfg *Config) {
		cfg.Repository = model.Repository
		cfg.Version = model.Digest.String()
	})

	resp := ts.predict(t, `{"inputs":[{"Age":45,"Savings":400000}]}`)
	if resp.status != http.StatusOK {
		t.Fatalf("status %d, want 200: %s", resp.status, resp.body)
	}
	var got predictResponse
	if err := json.Unmarshal(resp.body, &got); err != nil {
		t.Fatal(err)
	}
	if got.ModelDigest != model.Digest.String() {
		t.Errorf("model_digest %q, want the pinned %q", got.ModelDigest, model.Digest)
	}
	if got.Version != fixtureVersion {
		t.Errorf("version %q, want the release's version annotation %q", got.Version, fixtureVersion)
	}
}

func TestLoadModel_GradientBoostedTrees(t *testing.T) {
	x, y := servertest.SyntheticRows(300, 7)
	params := gbdt.DefaultParams()
	params.NEstimators = 20
	pipeline, err := classifier.Fit(x, y, servertest.Features, classifier.Spec{Type: classifier.TypeGBDT, Imputation: impute.None, GBDT: params})
	if err != nil {
		t.Fatal(err)
	}
	metadata := servertest.NewMetadata(t, pipeline, x, y)
	host := registrytest.NewInMemory(t)
	digest := servertest.Push(t, metadata, pipeline, host+"/retire", "2.0.0")
	ts := newLoadedServer(t, func(cfg *Config) {
		cfg.Repository = host + "/retire"
		cfg.Version = "2.0.0"
	})

	rows := [][]float64{x[0], x[1], {30, 20000}, {68, 990000}}
	resp := ts.predict(t, predictBody(t, servertest.Features, rows))
	if resp.status != http.StatusOK {
		t.Fatalf("status %d, want 200: %s", resp.status, resp.body)
	}
	assertSchema(t, schemas.PredictResponse, resp.body)
	var got predictResponse
	if err := json.Unmarshal(resp.body, &got); err != nil {
		t.Fatal(err)
	}
	want, err := pipeline.PredictProba(rows)
	if err != nil {
		t.Fatal(err)
	}
	assertPredictions(t, got, want)
	if got.ModelDigest != digest.String() {
		t.Errorf("model_digest %q, want %q", got.ModelDigest, digest)
	}

	model := ts.do(t, http.MethodGet, "/v1/model", "", "")
	assertSchema(t, schemas.Model, model.body)
	if !strings.Contains(string(model.body), `"model":{"type":"gbdt","format":"xgboost-json"}`) {
		t.Errorf("GET /v1/model %s does not report the gbdt type and xgboost-json format", model.body)
	}
}

func TestRun_BusyPort(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	port := busy.Addr().(*net.TCPAddr).Port

	// The registry address is closed too: a server that pulled before listening would fail
	// with ErrModelUnavailable instead.
	cfg := Config{Repository: registrytest.ClosedAddress(t) + "/retire", Version: fixtureVersion, Host: "127.0.0.1", Port: port}
	err = Run(t.Context(), cfg, discardLogger())
	if !errors.Is(err, ErrListen) {
		t.Fatalf("Run = %v, want ErrListen", err)
	}
	if !strings.Contains(err.Error(), "127.0.0.1:"+strconv.Itoa(port)) || !strings.Contains(err.Error(), "set PORT") {
		t.Errorf("error %q does not name the address and PORT", err)
	}
}

func TestRun_UnavailableAddress(t *testing.T) {
	// 192.0.2.1 is in TEST-NET-1, a range reserved for documentation that no interface of
	// the machine has. Binding it fails at once and sends no packet.
	cfg := Config{Repository: registrytest.ClosedAddress(t) + "/retire", Version: fixtureVersion, Host: "192.0.2.1", Port: 8080}
	err := Run(t.Context(), cfg, discardLogger())
	if !errors.Is(err, ErrListen) || !errors.Is(err, syscall.EADDRNOTAVAIL) {
		t.Fatalf("Run = %v, want ErrListen and EADDRNOTAVAIL", err)
	}
	if !strings.Contains(err.Error(), `HOST "192.0.2.1" is not an address of this machine`) {
		t.Errorf("error %q does not say that HOST is not an address of this machine", err)
	}
	if strings.Contains(err.Error(), "port") {
		t.Errorf("error %q blames the port", err)
	}
}

func TestDescribeListenError(t *testing.T) {
	cfg := Config{Host: "model-server.internal", Port: 80}
	tests := []struct {
		name     string
		err      error
		wantText string
	}{
		{"port in use", &net.OpError{Op: "listen", Net: "tcp", Err: os.NewSyscallError("bind", syscall.EADDRINUSE)}, "port 80 is in use"},
		{"address not available", &net.OpError{Op: "listen", Net: "tcp", Err: os.NewSyscallError("bind", syscall.EADDRNOTAVAIL)}, `HOST "model-server.internal" is not an address of this machine`},
		{"host not resolved", &net.OpError{Op: "listen", Net: "tcp", Err: &net.DNSError{Err: "no such host", Name: "model-server.internal", IsNotFound: true}}, `HOST "model-server.internal" cannot be resolved`},
		{"low port", &net.OpError{Op: "listen", Net: "tcp", Err: os.NewSyscallError("bind", syscall.EACCES)}, "permission denied for port 80, set PORT to 1024 or higher"},
		{"other", errors.New("too many open files"), "check HOST and PORT"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := describeListenError(cfg, "model-server.internal:80", tt.err)
			if !errors.Is(err, ErrListen) {
				t.Errorf("error %v, want ErrListen", err)
			}
			if !strings.HasPrefix(err.Error(), "listen on model-server.internal:80 failed, "+tt.wantText) {
				t.Errorf("error %q does not start with the address and %q", err, tt.wantText)
			}
		})
	}
}

func TestNew_InvalidConfig(t *testing.T) {
	_, err := New(Config{Repository: "127.0.0.1:5000/retire"}, discardLogger())
	if !errors.Is(err, ErrInvalidConfig) || !strings.Contains(err.Error(), "MODEL_VERSION is missing") {
		t.Errorf("New = %v, want ErrInvalidConfig naming MODEL_VERSION", err)
	}
}

// TestServe_OversizedHeaders records the documented gap: net/http answers headers beyond
// MaxHeaderBytes itself, so the 431 response is plain text and not the JSON error body.
func TestServe_OversizedHeaders(t *testing.T) {
	ts := newTestServer(t, nil)
	run := startServe(t, ts.Server)
	request, err := http.NewRequest(http.MethodGet, run.url+"/healthz", nil)
	if err != nil {
		t.Fatal(err)
	}
	request.Header.Set("X-Padding", strings.Repeat("a", maxHeaderBytes+8<<10))

	resp, err := http.DefaultClient.Do(request)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Errorf("status %d, want 431", resp.StatusCode)
	}
	if contentType := resp.Header.Get("Content-Type"); !strings.HasPrefix(contentType, "text/plain") {
		t.Errorf("Content-Type %q, want text/plain from net/http", contentType)
	}
}

func TestLoadModel_MissingBlobInLayout(t *testing.T) {
	layout := filepath.Join(t.TempDir(), "store")
	model := servertest.PushModel(t, "oci:"+layout, fixtureVersion)
	weights := servertest.LayerDigest(t, layout, model.Digest, servertest.WeightsFile)
	blobPath := servertest.LayoutBlobPath(layout, weights)
	if err := os.Remove(blobPath); err != nil {
		t.Fatal(err)
	}
	cfg := Config{Repository: "oci:" + layout, Version: fixtureVersion}

	err := loadFreshModel(t, cfg)
	if !errors.Is(err, ErrModelUnavailable) || !errors.Is(err, artifact.ErrMissingBlob) {
		t.Fatalf("LoadModel = %v, want ErrModelUnavailable and artifact.ErrMissingBlob", err)
	}
	for _, text := range []string{"is incomplete in OCI layout " + layout, "the file " + blobPath, servertest.WeightsFile, "Push the same model directory again"} {
		if !strings.Contains(err.Error(), text) {
			t.Errorf("error %q does not contain %q", err, text)
		}
	}
	if strings.Contains(err.Error(), "check MODEL_VERSION") {
		t.Errorf("error %q blames MODEL_VERSION, which is right", err)
	}

	// The advice works: a push of the same model restores the blob.
	servertest.Push(t, model.Metadata, model.Pipeline, "oci:"+layout, fixtureVersion)
	if err := loadFreshModel(t, cfg); err != nil {
		t.Errorf("LoadModel after the model was pushed again: %v", err)
	}
}

func TestLoadModel_LayoutSchemeInUpperCase(t *testing.T) {
	layout := filepath.Join(t.TempDir(), "store")
	servertest.PushModel(t, "oci:"+layout, fixtureVersion)

	if err := loadFreshModel(t, Config{Repository: "OCI:" + layout, Version: fixtureVersion}); err != nil {
		t.Errorf("LoadModel with MODEL_REPOSITORY=OCI:%s: %v", layout, err)
	}
}

func TestLoadModel_UnusableCacheDir(t *testing.T) {
	host := registrytest.NewInMemory(t)
	servertest.PushModel(t, host+"/retire", fixtureVersion)
	// A directory below a regular file cannot be created, even by root.
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	cacheDir := filepath.Join(file, "cache")
	s, err := New(Config{Repository: host + "/retire", Version: fixtureVersion, PlainHTTP: true, CacheDir: cacheDir}, discardLogger())
	if err != nil {
		t.Fatal(err)
	}

	err = s.LoadModel(t.Context())
	if !errors.Is(err, ErrModelUnavailable) || !errors.Is(err, artifact.ErrCacheDir) {
		t.Fatalf("LoadModel = %v, want ErrModelUnavailable and artifact.ErrCacheDir", err)
	}
	want := "MODEL_CACHE_DIR " + strconv.Quote(cacheDir) + " cannot be used as the model cache, set it to a directory that the server can create and write"
	if !strings.HasPrefix(err.Error(), want) {
		t.Errorf("error %q does not start with %q", err, want)
	}
}

func TestLoadModel_InvalidDockerConfig(t *testing.T) {
	host := registrytest.NewInMemory(t)
	servertest.PushModel(t, host+"/retire", fixtureVersion)
	tests := []struct {
		name     string
		content  string
		wantText string
	}{
		{"not JSON", "auths: {}\n", "is not valid JSON"},
		{"JSON array", "[]", "is not a Docker config"},
		{"auths not an object", `{"auths": 5}`, "is not a Docker config"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "config.json")
			if err := os.WriteFile(path, []byte(tt.content), 0o600); err != nil {
				t.Fatal(err)
			}

			err := loadFreshModel(t, Config{Repository: host + "/retire", Version: fixtureVersion, PlainHTTP: true, DockerConfig: path})
			if !errors.Is(err, ErrModelUnavailable) || !errors.Is(err, artifact.ErrInvalidDockerConfig) {
				t.Fatalf("LoadModel = %v, want ErrModelUnavailable and artifact.ErrInvalidDockerConfig", err)
			}
			for _, text := range []string{"REGISTRY_DOCKER_CONFIG " + strconv.Quote(path) + " cannot be used as a Docker config", "Docker config " + path + " " + tt.wantText} {
				if !strings.Contains(err.Error(), text) {
					t.Errorf("error %q does not contain %q", err, text)
				}
			}
			if strings.Contains(err.Error(), "set it to an existing") {
				t.Errorf("error %q asks for an existing file, which this one is", err)
			}
		})
	}
}
