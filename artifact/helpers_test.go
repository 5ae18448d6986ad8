package artifact

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/bankml/retire/internal/registrytest"
)

// fixtureCreated is the creation time of the fixture model, as a trainer would take it from
// SOURCE_DATE_EPOCH.
var fixtureCreated = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

const fixtureWeightsFile = "model.json"

var (
	fixtureWeights   = []byte(`{"format":"logistic-json/v1","coefficients":[0.031,0.000012],"intercept":-4.2}` + "\n")
	fixtureModelCard = []byte("# retire-logistic\n\nPredicts whether a customer retires from Age and 401K Savings.\n")
)

// fixtureMetadata returns a valid metadata.json content for the fixture model.
func fixtureMetadata() Metadata {
	return Metadata{
		SchemaVersion: MetadataSchemaVersion,
		Name:          "retire-logistic",
		CreatedAt:     fixtureCreated,
		Features: []Feature{
			{Name: "Age", Type: "number", Min: 25, Max: 70, Missing: 3},
			{Name: "401K Savings", Type: "number", Min: 10000, Max: 1000000, Missing: 2},
		},
		Target: "Retire",
		Model: ModelInfo{
			Type:            "logistic",
			Format:          "logistic-json/v1",
			WeightsFile:     fixtureWeightsFile,
			Hyperparameters: map[string]any{"l2": 1.0},
			Preprocessing:   json.RawMessage(`{"standardize":true}`),
		},
		Metrics: Metrics{Accuracy: 0.9, ROCAUC: 0.95, LogLoss: 0.3},
		Data:    DataInfo{File: "bank_customer_retirement.csv", Rows: 500, TrainRows: 400, TestRows: 100},
		Source:  Source{Repository: "https://git.example.internal/bankml/retire", Revision: "0123456789abcdef0123456789abcdef01234567"},
	}
}

// writeModelDir writes a model directory with the given weights and metadata into dir.
func writeModelDir(tb testing.TB, dir string, metadata Metadata, weights []byte) string {
	tb.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		tb.Fatal(err)
	}
	metadataJSON, err := json.MarshalIndent(metadata, "", "  ")
	if err != nil {
		tb.Fatal(err)
	}
	writeFile(tb, filepath.Join(dir, MetadataFile), metadataJSON)
	writeFile(tb, filepath.Join(dir, ModelCardFile), fixtureModelCard)
	writeFile(tb, filepath.Join(dir, metadata.Model.WeightsFile), weights)
	return dir
}

// newModelDir writes the fixture model with the given weights into a new temporary directory.
func newModelDir(tb testing.TB, weights []byte) string {
	tb.Helper()
	return writeModelDir(tb, filepath.Join(tb.TempDir(), "model"), fixtureMetadata(), weights)
}

func writeFile(tb testing.TB, path string, data []byte) {
	tb.Helper()
	if err := os.WriteFile(path, data, 0o644); err != nil {
		tb.Fatal(err)
	}
}

func readFile(tb testing.TB, path string) []byte {
	tb.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	return data
}

// plainHTTP returns remote options for a test registry on 127.0.0.1: plain HTTP, an empty
// Docker config so the machine's credentials are never read, and a client that retries
// quickly.
func plainHTTP(tb testing.TB) RemoteOptions {
	tb.Helper()
	return RemoteOptions{
		PlainHTTP:        true,
		DockerConfigPath: emptyDockerConfig(tb),
		HTTPClient:       registrytest.FastRetryClient(),
	}
}

// emptyDockerConfig writes a Docker config.json without credentials and returns its path.
func emptyDockerConfig(tb testing.TB) string {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "docker-config.json")
	writeFile(tb, path, []byte("{}\n"))
	return path
}

func mustParseReference(tb testing.TB, s string) Reference {
	tb.Helper()
	ref, err := ParseReference(s)
	if err != nil {
		tb.Fatalf("ParseReference(%q): %v", s, err)
	}
	return ref
}

// mustPush pushes dir as ref with the fixture creation time and fails the test on error.
func mustPush(tb testing.TB, dir string, ref Reference, remote RemoteOptions) Release {
	tb.Helper()
	desc, err := Push(context.Background(), dir, ref, PushOptions{Remote: remote, Created: fixtureCreated})
	if err != nil {
		tb.Fatalf("Push(%s): %v", ref, err)
	}
	return Release{Reference: ref, Digest: desc.Digest}
}

// digestReference returns ref with its tag replaced by the manifest digest.
func digestReference(ref Reference, release Release) Reference {
	ref.Tag = ""
	ref.Digest = release.Digest
	return ref
}
