package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"

	"github.com/bankml/retire/internal/registrytest"
	"github.com/bankml/retire/schemas"
	"github.com/bankml/retire/server/servertest"
)

// binary is the model-server executable that TestMain builds.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "model-server-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "model-server")
	build := exec.Command("go", "build", "-o", binary, ".")
	if output, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "go build model-server: %v\n%s", err, output)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// process is a running model-server.
type process struct {
	cmd    *exec.Cmd
	url    string
	stderr *syncBuffer
	exited chan struct{}
	err    error // the result of Wait, set before exited is closed
}

// start runs model-server on a free port of 127.0.0.1 with env and a clean environment, so
// settings of the machine running the tests cannot leak in. HOME is an empty directory.
func start(t *testing.T, args []string, env ...string) *process {
	t.Helper()
	return startWithoutHome(t, args, append([]string{"HOME=" + t.TempDir()}, env...)...)
}

// startWithoutHome is start without HOME in the environment, as under env -i.
func startWithoutHome(t *testing.T, args []string, env ...string) *process {
	t.Helper()
	address := registrytest.ClosedAddress(t)
	host, port, err := net.SplitHostPort(address)
	if err != nil {
		t.Fatal(err)
	}
	p := &process{url: "http://" + address, stderr: &syncBuffer{}, exited: make(chan struct{})}
	p.cmd = exec.Command(binary, args...)
	p.cmd.Env = append([]string{"TMPDIR=" + t.TempDir(), "HOST=" + host, "PORT=" + port}, env...)
	p.cmd.Stdout = p.stderr
	p.cmd.Stderr = p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-p.exited:
		default:
			_ = p.cmd.Process.Kill()
			<-p.exited
		}
	})
	return p
}

// waitExit returns the exit code, failing the test if the process runs for more than 60 s.
func (p *process) waitExit(t *testing.T) int {
	t.Helper()
	select {
	case <-p.exited:
	case <-time.After(60 * time.Second):
		t.Fatalf("model-server still runs after 60s\n%s", p.stderr)
	}
	var exitErr *exec.ExitError
	if errors.As(p.err, &exitErr) {
		return exitErr.ExitCode()
	}
	if p.err != nil {
		t.Fatalf("wait for model-server: %v", p.err)
	}
	return 0
}

// waitReady polls /readyz until it returns 200, failing if the process exits first or 30 s pass.
func (p *process) waitReady(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(p.url + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		select {
		case <-p.exited:
			t.Fatalf("model-server exited before it was ready: %v\n%s", p.err, p.stderr)
		case <-time.After(20 * time.Millisecond):
		}
	}
	t.Fatalf("model-server not ready within 30s\n%s", p.stderr)
}

// logLines parses every output line as a JSON log line, failing on anything else, such as a
// stack trace.
func (p *process) logLines(t *testing.T) []map[string]any {
	t.Helper()
	var lines []map[string]any
	for line := range strings.Lines(p.stderr.String()) {
		var entry map[string]any
		if err := json.Unmarshal([]byte(line), &entry); err != nil {
			t.Errorf("output line %q is not a JSON log line", line)
			continue
		}
		lines = append(lines, entry)
	}
	return lines
}

// assertFailsWith checks that model-server exits with code 1 after logging exactly one error
// line whose error contains each of wantText.
func assertFailsWith(t *testing.T, p *process, wantText ...string) {
	t.Helper()
	if code := p.waitExit(t); code != 1 {
		t.Errorf("exit code %d, want 1\n%s", code, p.stderr)
	}
	var errorLines []map[string]any
	for _, line := range p.logLines(t) {
		if line["level"] == "ERROR" {
			errorLines = append(errorLines, line)
		}
	}
	if len(errorLines) != 1 {
		t.Fatalf("%d error lines, want 1\n%s", len(errorLines), p.stderr)
	}
	message, _ := errorLines[0]["error"].(string)
	for _, text := range wantText {
		if !strings.Contains(message, text) {
			t.Errorf("error %q does not contain %q", message, text)
		}
	}
	if strings.Contains(p.stderr.String(), "goroutine ") {
		t.Errorf("output contains a stack trace\n%s", p.stderr)
	}
}

func TestModelServer_UnknownVersion(t *testing.T) {
	host := registrytest.NewInMemory(t)
	servertest.PushModel(t, host+"/retire", "0.1.0")

	p := start(t, nil, "MODEL_REPOSITORY="+host+"/retire", "MODEL_VERSION=9.9.9", "REGISTRY_PLAIN_HTTP=true")
	assertFailsWith(t, p, `model version "9.9.9" not found in registry `+host+"/retire", "check MODEL_VERSION")
}

func TestModelServer_UnreachableRegistry(t *testing.T) {
	closed := registrytest.ClosedAddress(t)
	p := start(t, nil, "MODEL_REPOSITORY="+closed+"/retire", "MODEL_VERSION=0.1.0", "REGISTRY_PLAIN_HTTP=true")
	assertFailsWith(t, p, "registry "+closed+"/retire is unreachable", "check MODEL_REPOSITORY")
}

func TestModelServer_WrongArtifactType(t *testing.T) {
	host := registrytest.NewInMemory(t)
	servertest.PushOtherArtifact(t, host, "retire", "1.0.0")

	p := start(t, nil, "MODEL_REPOSITORY="+host+"/retire", "MODEL_VERSION=1.0.0", "REGISTRY_PLAIN_HTTP=true")
	assertFailsWith(t, p, host+"/retire:1.0.0 is not a model release", "wrong artifact type")
}

func TestModelServer_CorruptedBlobInLayout(t *testing.T) {
	layout := filepath.Join(t.TempDir(), "store")
	model := servertest.PushModel(t, "oci:"+layout, "0.1.0")
	weights := servertest.LayerDigest(t, layout, model.Digest, servertest.WeightsFile)
	servertest.CorruptFile(t, servertest.LayoutBlobPath(layout, weights))

	p := start(t, nil, "MODEL_REPOSITORY=oci:"+layout, "MODEL_VERSION=0.1.0")
	assertFailsWith(t, p, "is corrupted", "digest mismatch", servertest.WeightsFile)
}

func TestModelServer_CorruptedBlobInDistribution(t *testing.T) {
	registry := registrytest.RunDistribution(t, registrytest.DistributionOptions{})
	model := servertest.PushModel(t, registry.Host+"/retire", "0.1.0")
	weights, err := model.Pipeline.MarshalWeights()
	if err != nil {
		t.Fatal(err)
	}
	// Layers are the files' raw bytes, so the weights layer's digest is that of the file.
	servertest.CorruptFile(t, registry.BlobPath(digest.FromBytes(weights)))

	p := start(t, nil, "MODEL_REPOSITORY="+registry.Host+"/retire", "MODEL_VERSION=0.1.0", "REGISTRY_PLAIN_HTTP=true")
	assertFailsWith(t, p, "is corrupted", "digest mismatch",
		"the registry's operator must restore blob "+digest.FromBytes(weights).String()+" ("+servertest.WeightsFile+")")
}

func TestModelServer_WithoutHome(t *testing.T) {
	host := registrytest.NewInMemory(t)
	model := servertest.PushModel(t, host+"/retire", "0.1.0")

	p := startWithoutHome(t, nil, "MODEL_REPOSITORY="+host+"/retire", "MODEL_VERSION=0.1.0", "REGISTRY_PLAIN_HTTP=true")
	p.waitReady(t)
	assertPrediction(t, p.url, model)
}

func TestModelServer_Metrics(t *testing.T) {
	host := registrytest.NewInMemory(t)
	model := servertest.PushModel(t, host+"/retire", "0.1.0")

	p := start(t, nil, "MODEL_REPOSITORY="+host+"/retire", "MODEL_VERSION=0.1.0", "REGISTRY_PLAIN_HTTP=true")
	p.waitReady(t)
	assertPrediction(t, p.url, model)

	resp, err := http.Get(p.url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics: status %d: %s", resp.StatusCode, body)
	}
	// assertPrediction sends two rows, one with a null Age.
	for _, line := range []string{
		"model_server_ready 1",
		"model_server_predicted_rows_total 2",
		`model_server_missing_values_total{feature="Age"} 1`,
		`model_server_requests_total{code="200",method="POST",route="/v1/predict"} 1`,
		`digest="` + model.Digest.String() + `"`,
	} {
		if !bytes.Contains(body, []byte(line)) {
			t.Errorf("GET /metrics does not contain %s:\n%s", line, body)
		}
	}
}

func TestModelServer_MissingDockerConfig(t *testing.T) {
	host := registrytest.NewInMemory(t)
	servertest.PushModel(t, host+"/retire", "0.1.0")
	missing := filepath.Join(t.TempDir(), "config.json")

	p := start(t, nil, "MODEL_REPOSITORY="+host+"/retire", "MODEL_VERSION=0.1.0", "REGISTRY_PLAIN_HTTP=true", "REGISTRY_DOCKER_CONFIG="+missing)
	assertFailsWith(t, p, "REGISTRY_DOCKER_CONFIG \""+missing+"\" does not exist", "no Docker config file at "+missing)
}

func TestModelServer_InvalidDockerConfig(t *testing.T) {
	host := registrytest.NewInMemory(t)
	servertest.PushModel(t, host+"/retire", "0.1.0")
	invalid := filepath.Join(t.TempDir(), "config.json")
	if err := os.WriteFile(invalid, []byte("auths: {}\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	p := start(t, nil, "MODEL_REPOSITORY="+host+"/retire", "MODEL_VERSION=0.1.0", "REGISTRY_PLAIN_HTTP=true", "REGISTRY_DOCKER_CONFIG="+invalid)
	assertFailsWith(t, p, "REGISTRY_DOCKER_CONFIG \""+invalid+"\" cannot be used as a Docker config", "the Docker config "+invalid+" is not valid JSON")
}

func TestModelServer_EmptyPort(t *testing.T) {
	p := start(t, nil, "MODEL_REPOSITORY=127.0.0.1:5000/retire", "MODEL_VERSION=0.1.0", "PORT=")
	assertFailsWith(t, p, "PORT is set but empty, unset it or give it a value")
}

func TestModelServer_PlainHTTPRegistryOverHTTPS(t *testing.T) {
	host := registrytest.NewInMemory(t)
	servertest.PushModel(t, host+"/retire", "0.1.0")

	p := start(t, nil, "MODEL_REPOSITORY="+host+"/retire", "MODEL_VERSION=0.1.0")
	assertFailsWith(t, p, "responded to HTTPS with plain HTTP, set REGISTRY_PLAIN_HTTP=true")
}

func TestModelServer_MissingVersion(t *testing.T) {
	p := start(t, nil, "MODEL_REPOSITORY=127.0.0.1:5000/retire")
	assertFailsWith(t, p, "MODEL_VERSION is missing", "set it to the version tag")
	if lines := p.logLines(t); len(lines) != 1 {
		t.Errorf("%d log lines, want only the error\n%s", len(lines), p.stderr)
	}
}

func TestModelServer_BusyPort(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	_, port, _ := net.SplitHostPort(busy.Addr().String())

	// The later PORT wins over the free port that start sets.
	p := start(t, nil, "MODEL_REPOSITORY="+registrytest.ClosedAddress(t)+"/retire", "MODEL_VERSION=0.1.0", "PORT="+port)
	assertFailsWith(t, p, "listen on "+busy.Addr().String()+" failed, port "+port+" is in use", "set PORT to a free port")
}

func TestModelServer_InvalidHost(t *testing.T) {
	p := start(t, nil, "MODEL_REPOSITORY="+registrytest.ClosedAddress(t)+"/retire", "MODEL_VERSION=0.1.0", "HOST=999.1.1.1")
	assertFailsWith(t, p, `HOST "999.1.1.1" is not a valid IP address`, "set it to an IP address or host name of this machine")
}

func TestModelServer_UnavailableAddress(t *testing.T) {
	// 192.0.2.1 is in TEST-NET-1, a range reserved for documentation that no interface of
	// the machine has. Binding it fails at once and sends no packet.
	p := start(t, nil, "MODEL_REPOSITORY="+registrytest.ClosedAddress(t)+"/retire", "MODEL_VERSION=0.1.0", "HOST=192.0.2.1")
	assertFailsWith(t, p, `HOST "192.0.2.1" is not an address of this machine`, "cannot assign requested address")
	if strings.Contains(p.stderr.String(), "stop the process") {
		t.Errorf("the error blames another process\n%s", p.stderr)
	}
}

func TestModelServer_ServesAndStopsOnSignal(t *testing.T) {
	for _, signal := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		t.Run(signal.String(), func(t *testing.T) {
			host := registrytest.NewInMemory(t)
			model := servertest.PushModel(t, host+"/retire", "0.1.0")
			p := start(t, nil, "MODEL_REPOSITORY="+host+"/retire", "MODEL_VERSION=0.1.0", "REGISTRY_PLAIN_HTTP=true",
				"REGISTRY_USERNAME=puller", "REGISTRY_PASSWORD=binary-secret", "MODEL_CACHE_DIR="+t.TempDir())
			p.waitReady(t)

			assertPrediction(t, p.url, model)
			resp, err := http.Get(p.url + "/v1/model")
			if err != nil {
				t.Fatal(err)
			}
			body, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil {
				t.Fatal(err)
			}
			if err := schemas.Validate(schemas.Model, body); err != nil {
				t.Errorf("GET /v1/model: %v", err)
			}

			if err := p.cmd.Process.Signal(signal); err != nil {
				t.Fatal(err)
			}
			if code := p.waitExit(t); code != 0 {
				t.Errorf("exit code after %s: %d, want 0\n%s", signal, code, p.stderr)
			}
			assertCleanLogs(t, p, "binary-secret")
		})
	}
}

func TestModelServer_ConfigFile(t *testing.T) {
	registry := registrytest.RunDistribution(t, registrytest.DistributionOptions{})
	model := servertest.PushModel(t, registry.Host+"/retire", "0.1.0")
	config := filepath.Join(t.TempDir(), "model-server.yaml")
	content := fmt.Sprintf("model_repository: %s/retire\nmodel_version: 9.9.9\nregistry_plain_http: true\n", registry.Host)
	if err := os.WriteFile(config, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name string
		args []string
		env  []string
	}{
		{name: "flag", args: []string{"--config", config}},
		{name: "environment", env: []string{"MODEL_SERVER_CONFIG=" + config}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// MODEL_VERSION from the environment overrides the file's unknown 9.9.9.
			p := start(t, tt.args, append(tt.env, "MODEL_VERSION=0.1.0")...)
			p.waitReady(t)
			assertPrediction(t, p.url, model)

			if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
				t.Fatal(err)
			}
			if code := p.waitExit(t); code != 0 {
				t.Errorf("exit code after SIGTERM: %d, want 0\n%s", code, p.stderr)
			}
		})
	}
}

func TestModelServer_Help(t *testing.T) {
	output, err := exec.Command(binary, "--help").CombinedOutput()
	if err != nil {
		t.Fatalf("model-server --help: %v\n%s", err, output)
	}
	for _, name := range []string{"MODEL_REPOSITORY", "MODEL_VERSION", "PORT", "SHUTDOWN_TIMEOUT", "--config", "set but empty is an error", "431", "/metrics"} {
		if !bytes.Contains(output, []byte(name)) {
			t.Errorf("help does not mention %s:\n%s", name, output)
		}
	}
}

func TestModelServer_UnknownFlag(t *testing.T) {
	err := exec.Command(binary, "--port", "80").Run()
	var exitErr *exec.ExitError
	if !errors.As(err, &exitErr) || exitErr.ExitCode() != 2 {
		t.Errorf("model-server --port 80: %v, want exit code 2", err)
	}
}

// assertPrediction posts two rows, one with a missing value, and compares the result with the
// fixture pipeline's probabilities.
func assertPrediction(t *testing.T, url string, model servertest.Model) {
	t.Helper()
	resp, err := http.Post(url+"/v1/predict", "application/json",
		strings.NewReader(`{"inputs":[{"Age":39.2,"Savings":322349.87},{"Age":null,"Savings":900000}]}`))
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST /v1/predict: status %d: %s", resp.StatusCode, body)
	}
	if resp.Header.Get("X-Request-ID") == "" {
		t.Error("POST /v1/predict: no X-Request-ID header")
	}
	if err := schemas.Validate(schemas.PredictResponse, body); err != nil {
		t.Errorf("POST /v1/predict: %v", err)
	}

	var got struct {
		Probabilities []float64 `json:"probabilities"`
		ModelDigest   string    `json:"model_digest"`
	}
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatal(err)
	}
	want, err := model.Pipeline.PredictProba([][]float64{{39.2, 322349.87}, {math.NaN(), 900000}})
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got.Probabilities) != fmt.Sprint(want) {
		t.Errorf("probabilities %v, want %v", got.Probabilities, want)
	}
	if got.ModelDigest != model.Digest.String() {
		t.Errorf("model_digest %q, want %q", got.ModelDigest, model.Digest)
	}
}

// assertCleanLogs checks that every line is JSON, that the server logged its stop, that no
// line is at error level and that secret appears nowhere.
func assertCleanLogs(t *testing.T, p *process, secret string) {
	t.Helper()
	stopped := false
	for _, line := range p.logLines(t) {
		if line["level"] == "ERROR" {
			t.Errorf("error line %v in a clean run", line)
		}
		if line["msg"] == "stopped" {
			stopped = true
		}
	}
	if !stopped {
		t.Errorf("no \"stopped\" log line\n%s", p.stderr)
	}
	if strings.Contains(p.stderr.String(), secret) {
		t.Errorf("logs contain the registry password\n%s", p.stderr)
	}
}

// syncBuffer collects the output of a process that tests read while it runs.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(data []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(data)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
