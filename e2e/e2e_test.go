// Package e2e runs the release path with the real binaries: the trainer trains on the real
// dataset and pushes to a CNCF distribution registry process, and model-server pulls the
// pinned version and serves predictions over HTTP.
package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/bankml/retire/classifier/metrics"
	"github.com/bankml/retire/internal/realdata"
	"github.com/bankml/retire/internal/registrytest"
	"github.com/bankml/retire/trainer"
)

// binDir holds the trainer and model-server binaries built once by TestMain.
var binDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "e2e-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binDir = dir
	for _, name := range []string{"trainer", "model-server"} {
		cmd := exec.Command("go", "build", "-o", filepath.Join(dir, name), "../cmd/"+name)
		if out, err := cmd.CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "build %s: %v\n%s", name, err, out)
			os.Exit(1)
		}
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// sharedFile returns a file of the real data folder beside the repository; see realdata.Path.
func sharedFile(tb testing.TB, elem ...string) string {
	tb.Helper()
	return realdata.Path(tb, elem...)
}

// runCLI runs a built binary and returns its standard output, failing the test on a
// non-zero exit.
func runCLI(tb testing.TB, env []string, name string, args ...string) string {
	tb.Helper()
	cmd := exec.Command(filepath.Join(binDir, name), args...)
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		tb.Fatalf("%s %s: %v\nstdout:\n%s\nstderr:\n%s", name, strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	return stdout.String()
}

// server is a running model-server process.
type server struct {
	url  string
	cmd  *exec.Cmd
	logs *bytes.Buffer
	done chan error
}

// startServer starts model-server with env on a free port and waits until /readyz is 200.
func startServer(tb testing.TB, env ...string) *server {
	tb.Helper()
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	port := listener.Addr().(*net.TCPAddr).Port
	listener.Close()

	s := &server{url: fmt.Sprintf("http://127.0.0.1:%d", port), logs: &bytes.Buffer{}, done: make(chan error, 1)}
	s.cmd = exec.Command(filepath.Join(binDir, "model-server"))
	s.cmd.Env = append(os.Environ(), append(env, fmt.Sprintf("PORT=%d", port), "MODEL_CACHE_DIR="+tb.TempDir())...)
	s.cmd.Stdout, s.cmd.Stderr = s.logs, s.logs
	if err := s.cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	go func() { s.done <- s.cmd.Wait() }()
	tb.Cleanup(func() {
		if s.cmd.ProcessState == nil {
			s.cmd.Process.Kill()
			<-s.done
		}
	})

	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-s.done:
			tb.Fatalf("model-server exited before it was ready: %v\n%s", err, s.logs)
		default:
		}
		resp, err := http.Get(s.url + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	tb.Fatalf("model-server not ready after 30s\n%s", s.logs)
	return nil
}

// stop sends SIGTERM and returns the exit error, nil for a clean exit.
func (s *server) stop(tb testing.TB) error {
	tb.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		tb.Fatal(err)
	}
	select {
	case err := <-s.done:
		return err
	case <-time.After(20 * time.Second):
		tb.Fatalf("model-server did not stop within 20s of SIGTERM\n%s", s.logs)
		return nil
	}
}

type predictResponse struct {
	Predictions   []int     `json:"predictions"`
	Probabilities []float64 `json:"probabilities"`
	Version       string    `json:"version"`
	ModelDigest   string    `json:"model_digest"`
}

// predict posts rows (NaN sent as null) to /v1/predict.
func predict(tb testing.TB, url string, features []string, rows [][]float64) predictResponse {
	tb.Helper()
	inputs := make([]map[string]*float64, len(rows))
	for i, row := range rows {
		inputs[i] = map[string]*float64{}
		for j, name := range features {
			if !math.IsNaN(row[j]) {
				v := row[j]
				inputs[i][name] = &v
			} else {
				inputs[i][name] = nil
			}
		}
	}
	body, err := json.Marshal(map[string]any{"inputs": inputs})
	if err != nil {
		tb.Fatal(err)
	}
	resp, err := http.Post(url+"/v1/predict", "application/json", bytes.NewReader(body))
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		tb.Fatalf("POST /v1/predict: status %d: %s", resp.StatusCode, raw)
	}
	var out predictResponse
	if err := json.Unmarshal(raw, &out); err != nil {
		tb.Fatalf("decode %s: %v", raw, err)
	}
	if len(out.Probabilities) != len(rows) || len(out.Predictions) != len(rows) {
		tb.Fatalf("got %d probabilities and %d predictions for %d rows", len(out.Probabilities), len(out.Predictions), len(rows))
	}
	return out
}

func TestRelease_RealDataThroughRegistry(t *testing.T) {
	dataPath := sharedFile(t, "bank_customer_retirement.csv")
	host := registrytest.StartDistribution(t)

	// Train in-process to keep the test split and the trainer's own predictions for it.
	cfg, err := trainer.LoadConfig("", nil)
	if err != nil {
		t.Fatal(err)
	}
	data, err := trainer.ReadCSVFile(dataPath, cfg.Data)
	if err != nil {
		t.Fatal(err)
	}
	result, err := trainer.Train(data, cfg, trainer.RunInfo{Revision: "e2e"})
	if err != nil {
		t.Fatal(err)
	}
	modelDir := filepath.Join(t.TempDir(), "model")
	if err := trainer.WriteModelDir(modelDir, result); err != nil {
		t.Fatal(err)
	}

	repository := host + "/bank/retirement"
	digest := strings.TrimSpace(runCLI(t, nil, "trainer", "push", "--plain-http", modelDir, repository+":1.0.0"))
	if !strings.HasPrefix(digest, "sha256:") {
		t.Fatalf("trainer push printed %q, want a sha256 digest", digest)
	}

	testX, testY := data.Subset(result.TestRows)
	for _, version := range []string{"1.0.0", digest} {
		t.Run("pinned to "+version, func(t *testing.T) {
			s := startServer(t, "MODEL_REPOSITORY="+repository, "MODEL_VERSION="+version, "REGISTRY_PLAIN_HTTP=true")
			got := predict(t, s.url, data.Features, testX)

			if got.ModelDigest != digest {
				t.Errorf("model_digest = %s, want the pushed %s", got.ModelDigest, digest)
			}
			if got.Version != "1.0.0" {
				t.Errorf("version = %q, want 1.0.0", got.Version)
			}
			for i, p := range got.Probabilities {
				if math.Abs(p-result.TestProbabilities[i]) > 1e-12 {
					t.Errorf("test row %d (line %d): served probability %v, trainer's %v", i, data.Lines[result.TestRows[i]], p, result.TestProbabilities[i])
				}
				if got.Predictions[i] != metrics.Label(p) {
					t.Errorf("test row %d: prediction %d does not match probability %v", i, got.Predictions[i], p)
				}
			}
			served := metrics.Accuracy(testY, got.Probabilities)
			t.Logf("served test accuracy %.4f on %d rows (%s model)", served, len(testY), result.Pipeline.Type)
			if served < 0.90 {
				t.Errorf("served test accuracy = %.4f, want at least 0.90", served)
			}
			if err := s.stop(t); err != nil {
				t.Errorf("model-server exit after SIGTERM: %v, want status 0\n%s", err, s.logs)
			}
		})
	}
}

// TestRelease_SharedXGBoostModel packs the model that Python's xgboost 1.7.4 trained and
// saved, serves it, and compares every served probability with xgboost's own.
func TestRelease_SharedXGBoostModel(t *testing.T) {
	modelPath := sharedFile(t, "xgboost-1.7.4", "model.json")
	predictionsPath := sharedFile(t, "xgboost-1.7.4", "predictions.csv")
	dataPath := sharedFile(t, "bank_customer_retirement.csv")

	modelDir := filepath.Join(t.TempDir(), "model")
	runCLI(t, nil, "trainer", "import", "--xgboost", modelPath, "--data", dataPath, "--output", modelDir)
	store := filepath.Join(t.TempDir(), "store")
	digest := strings.TrimSpace(runCLI(t, nil, "trainer", "push", modelDir, "oci:"+store+":2.0.0"))

	rows, want := readPredictions(t, predictionsPath)
	s := startServer(t, "MODEL_REPOSITORY=oci:"+store, "MODEL_VERSION=2.0.0")
	got := predict(t, s.url, []string{"Age", "Savings"}, rows)
	if got.ModelDigest != digest {
		t.Errorf("model_digest = %s, want %s", got.ModelDigest, digest)
	}
	for i := range want {
		if math.Abs(got.Probabilities[i]-want[i]) > 1e-6 {
			t.Errorf("row %d: served %v, xgboost %v", i, got.Probabilities[i], want[i])
		}
	}
}

// readPredictions reads rows of Age, Savings and xgboost's probability from a CSV with the
// header row,Age,Savings,probability.
func readPredictions(tb testing.TB, path string) ([][]float64, []float64) {
	tb.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(raw)), "\n")
	var rows [][]float64
	var want []float64
	for _, line := range lines[1:] {
		fields := strings.Split(line, ",")
		values := make([]float64, 3)
		for j, cell := range fields[1:4] {
			if cell == "NA" {
				values[j] = math.NaN()
				continue
			}
			if _, err := fmt.Sscan(cell, &values[j]); err != nil {
				tb.Fatalf("%s: %q: %v", path, line, err)
			}
		}
		rows = append(rows, values[:2])
		want = append(want, values[2])
	}
	return rows, want
}

// TestRelease_ModelTrainedInPython has Debian's xgboost train a model on the real dataset and
// save it as JSON; the trainer imports and pushes it, and model-server must serve xgboost's
// own probabilities for all 500 rows, missing values included.
func TestRelease_ModelTrainedInPython(t *testing.T) {
	dataPath := sharedFile(t, "bank_customer_retirement.csv")
	python := "/usr/bin/python3"
	if err := exec.Command(python, "-c", "import xgboost, pandas").Run(); err != nil {
		if os.Getenv("REQUIRE_PYTHON_XGBOOST") == "1" {
			t.Fatalf("REQUIRE_PYTHON_XGBOOST=1 but %s cannot import xgboost and pandas: %v", python, err)
		}
		t.Skipf("skipping: %s cannot import xgboost and pandas (install python3-xgboost): %v", python, err)
	}

	cfg, err := trainer.LoadConfig("", nil)
	if err != nil {
		t.Fatal(err)
	}
	data, err := trainer.ReadCSVFile(dataPath, cfg.Data)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	var train, features strings.Builder
	train.WriteString("Age,Savings,Retire\n")
	features.WriteString("Age,Savings\n")
	for i, row := range data.X {
		cells := fmt.Sprintf("%s,%s", formatCell(row[0]), formatCell(row[1]))
		fmt.Fprintf(&train, "%s,%d\n", cells, int(data.Y[i]))
		features.WriteString(cells + "\n")
	}
	for name, content := range map[string]string{"train.csv": train.String(), "features.csv": features.String()} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	params, err := json.Marshal(cfg.Model.GBDT)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "params.json"), params, 0o644); err != nil {
		t.Fatal(err)
	}

	modelPath := filepath.Join(dir, "xgboost-model.json")
	cmd := exec.Command(python, "../scripts/gbdt_xgb_train.py", filepath.Join(dir, "train.csv"), filepath.Join(dir, "params.json"), modelPath, filepath.Join(dir, "features.csv"))
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("xgboost training failed: %v", err)
	}
	var want []float64
	for line := range strings.FieldsSeq(string(out)) {
		var p float64
		if _, err := fmt.Sscan(line, &p); err != nil {
			t.Fatalf("parse xgboost output %q: %v", line, err)
		}
		want = append(want, p)
	}
	if len(want) != len(data.X) {
		t.Fatalf("xgboost printed %d probabilities for %d rows", len(want), len(data.X))
	}

	modelDir := filepath.Join(dir, "model")
	runCLI(t, nil, "trainer", "import", "--xgboost", modelPath, "--data", dataPath, "--output", modelDir)
	store := filepath.Join(dir, "store")
	runCLI(t, nil, "trainer", "push", modelDir, "oci:"+store+":3.0.0")
	s := startServer(t, "MODEL_REPOSITORY=oci:"+store, "MODEL_VERSION=3.0.0")
	got := predict(t, s.url, data.Features, data.X)
	for i := range want {
		if math.Abs(got.Probabilities[i]-want[i]) > 1e-6 {
			t.Errorf("line %d: served %v, xgboost %v", data.Lines[i], got.Probabilities[i], want[i])
		}
	}
}

// formatCell writes a value for pandas: empty for a missing value, else the shortest
// decimal that reads back as the same float64.
func formatCell(v float64) string {
	if math.IsNaN(v) {
		return ""
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}
