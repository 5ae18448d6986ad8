// Package servertest builds model releases for the tests of the model server and its binary:
// it fits a small logistic pipeline on synthetic customers, writes the model directory that
// the trainer would write, and pushes it with artifact.Push.
package servertest

import (
	"context"
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/registry/remote"

	"github.com/bankml/retire/artifact"
	"github.com/bankml/retire/classifier"
	"github.com/bankml/retire/classifier/impute"
	"github.com/bankml/retire/classifier/metrics"
)

// Features are the feature names of the fixture model, those of the real dataset.
var Features = []string{"Age", "Savings"}

// WeightsFile is the weights file name in the fixture model directory.
const WeightsFile = "model.json"

// Created is the creation time written into every fixture release, so pushes are reproducible.
var Created = time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)

// Model is a fitted fixture model and, once pushed, where it is.
type Model struct {
	// Pipeline is the fitted pipeline whose weights the release contains.
	Pipeline *classifier.Pipeline
	// Metadata is the content of the release's metadata.json.
	Metadata artifact.Metadata
	// Repository and Version are the MODEL_REPOSITORY and MODEL_VERSION of the release.
	Repository, Version string
	// Digest is the manifest digest of the pushed release.
	Digest digest.Digest
}

// PushModel fits the fixture model, writes its directory and pushes it to repository
// ("host:port/repo" of a plain-HTTP registry, or "oci:PATH") as version.
func PushModel(tb testing.TB, repository, version string) Model {
	tb.Helper()
	model := WriteModelDir(tb, tb.TempDir())
	model.Repository, model.Version = repository, version
	model.Digest = Push(tb, model.Metadata, model.Pipeline, repository, version)
	return model
}

// Push writes the model directory of pipeline and metadata and pushes it. It returns the
// manifest digest.
func Push(tb testing.TB, metadata artifact.Metadata, pipeline *classifier.Pipeline, repository, version string) digest.Digest {
	tb.Helper()
	dir := tb.TempDir()
	writeDir(tb, dir, metadata, pipeline)

	ref, err := artifact.JoinReference(repository, version)
	if err != nil {
		tb.Fatalf("reference for %s %s: %v", repository, version, err)
	}
	desc, err := artifact.Push(context.Background(), dir, ref, artifact.PushOptions{
		Remote:  artifact.RemoteOptions{PlainHTTP: true},
		Created: Created,
	})
	if err != nil {
		tb.Fatalf("push fixture model to %s: %v", ref, err)
	}
	return desc.Digest
}

// WriteModelDir fits the fixture model and writes model.json, metadata.json and MODEL_CARD.md
// into dir.
func WriteModelDir(tb testing.TB, dir string) Model {
	tb.Helper()
	x, y := SyntheticRows(400, 1)
	pipeline, err := classifier.Fit(x, y, Features, classifier.Spec{Type: classifier.TypeLogistic, Imputation: impute.Median})
	if err != nil {
		tb.Fatalf("fit fixture pipeline: %v", err)
	}
	metadata := NewMetadata(tb, pipeline, x, y)
	writeDir(tb, dir, metadata, pipeline)
	return Model{Pipeline: pipeline, Metadata: metadata}
}

// SyntheticRows returns n customers with Age in [25, 70) years and Savings in [10,000,
// 1,010,000) dollars, about 5% of cells missing (NaN), and a Retire label that is mostly 1
// for old customers with high savings. The same seed gives the same rows.
func SyntheticRows(n int, seed uint64) (x [][]float64, y []float64) {
	rng := rand.New(rand.NewPCG(seed, seed+1))
	x = make([][]float64, n)
	y = make([]float64, n)
	for i := range n {
		age := 25 + 45*rng.Float64()
		savings := 10_000 + 1_000_000*rng.Float64()
		score := (age-50)/5 + (savings-500_000)/100_000
		if rng.Float64() < 1/(1+math.Exp(-score)) {
			y[i] = 1
		}
		if rng.Float64() < 0.05 {
			age = math.NaN()
		}
		if rng.Float64() < 0.05 {
			savings = math.NaN()
		}
		x[i] = []float64{age, savings}
	}
	return x, y
}

// NewMetadata describes pipeline, fitted on x and y, with every metadata.json field filled.
// Its metrics are scores on the training rows, which is enough for a fixture.
func NewMetadata(tb testing.TB, pipeline *classifier.Pipeline, x [][]float64, y []float64) artifact.Metadata {
	tb.Helper()
	preprocessing, err := pipeline.MarshalPreprocessing()
	if err != nil {
		tb.Fatalf("marshal preprocessing: %v", err)
	}
	p, err := pipeline.PredictProba(x)
	if err != nil {
		tb.Fatalf("predict training rows: %v", err)
	}
	confusion := metrics.ConfusionMatrix(y, p)

	features := make([]artifact.Feature, len(pipeline.Features))
	missingCells, positives := 0, 0
	for j, name := range pipeline.Features {
		feature := artifact.Feature{Name: name, Type: "number", Min: math.Inf(1), Max: math.Inf(-1)}
		for _, row := range x {
			if math.IsNaN(row[j]) {
				feature.Missing++
				continue
			}
			feature.Min = math.Min(feature.Min, row[j])
			feature.Max = math.Max(feature.Max, row[j])
		}
		missingCells += feature.Missing
		features[j] = feature
	}
	for _, label := range y {
		if label == 1 {
			positives++
		}
	}

	return artifact.Metadata{
		SchemaVersion: artifact.MetadataSchemaVersion,
		Name:          "retire",
		CreatedAt:     Created,
		Features:      features,
		Target:        "Retire",
		Model: artifact.ModelInfo{
			Type:            pipeline.Type,
			Format:          pipeline.Format,
			WeightsFile:     WeightsFile,
			Hyperparameters: map[string]any{"C": 1.0},
			Preprocessing:   preprocessing,
		},
		Metrics: artifact.Metrics{
			Accuracy: metrics.Accuracy(y, p),
			ROCAUC:   metrics.ROCAUC(y, p),
			LogLoss:  metrics.LogLoss(y, p),
			ConfusionMatrix: artifact.ConfusionMatrix{
				TrueNegatives:  confusion.TrueNegatives,
				FalsePositives: confusion.FalsePositives,
				FalseNegatives: confusion.FalseNegatives,
				TruePositives:  confusion.TruePositives,
			},
		},
		Data: artifact.DataInfo{
			File:         "synthetic",
			Rows:         len(x),
			TrainRows:    len(x),
			Positives:    positives,
			MissingCells: missingCells,
		},
		Training: artifact.Training{Seed: 1, MinAccuracy: 0.5},
	}
}

// writeDir writes the weights, metadata.json and MODEL_CARD.md of a model directory.
func writeDir(tb testing.TB, dir string, metadata artifact.Metadata, pipeline *classifier.Pipeline) {
	tb.Helper()
	weights, err := pipeline.MarshalWeights()
	if err != nil {
		tb.Fatalf("marshal weights: %v", err)
	}
	metadataJSON, err := json.MarshalIndent(metadata, "", "  ")
	if err != nil {
		tb.Fatalf("marshal metadata: %v", err)
	}
	files := map[string][]byte{
		metadata.Model.WeightsFile: weights,
		artifact.MetadataFile:      metadataJSON,
		artifact.ModelCardFile:     []byte("# retire\n\nFixture model for tests, fitted on synthetic customers.\n"),
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), content, 0o644); err != nil {
			tb.Fatalf("write %s: %v", name, err)
		}
	}
}

// PushOtherArtifact pushes an OCI artifact that is not a model, with artifact type
// application/vnd.example.other.v1+json and one text layer, to host/repository as tag.
func PushOtherArtifact(tb testing.TB, host, repository, tag string) {
	tb.Helper()
	ctx := context.Background()
	repo, err := remote.NewRepository(host + "/" + repository)
	if err != nil {
		tb.Fatal(err)
	}
	repo.PlainHTTP = true

	layer, err := oras.PushBytes(ctx, repo, "text/plain", []byte("not a model"))
	if err != nil {
		tb.Fatalf("push layer to %s/%s: %v", host, repository, err)
	}
	manifest, err := oras.PackManifest(ctx, repo, oras.PackManifestVersion1_1, "application/vnd.example.other.v1+json",
		oras.PackManifestOptions{Layers: []ocispec.Descriptor{layer}})
	if err != nil {
		tb.Fatalf("push manifest to %s/%s: %v", host, repository, err)
	}
	if err := repo.Tag(ctx, manifest, tag); err != nil {
		tb.Fatalf("tag %s/%s:%s: %v", host, repository, tag, err)
	}
}

// LayerDigest returns the digest of the layer titled title in the manifest manifestDigest of
// the OCI image layout at layoutPath.
func LayerDigest(tb testing.TB, layoutPath string, manifestDigest digest.Digest, title string) digest.Digest {
	tb.Helper()
	data, err := os.ReadFile(LayoutBlobPath(layoutPath, manifestDigest))
	if err != nil {
		tb.Fatalf("read manifest: %v", err)
	}
	var manifest ocispec.Manifest
	if err := json.Unmarshal(data, &manifest); err != nil {
		tb.Fatalf("parse manifest %s: %v", manifestDigest, err)
	}
	for _, layer := range manifest.Layers {
		if layer.Annotations[ocispec.AnnotationTitle] == title {
			return layer.Digest
		}
	}
	tb.Fatalf("manifest %s has no layer titled %s", manifestDigest, title)
	return ""
}

// LayoutBlobPath returns the file of a blob in an OCI image layout directory.
func LayoutBlobPath(layoutPath string, blob digest.Digest) string {
	return filepath.Join(layoutPath, "blobs", blob.Algorithm().String(), blob.Encoded())
}

// CorruptFile flips the bits of the first byte of the file at path, so that its size stays
// the same and only its digest changes.
func CorruptFile(tb testing.TB, path string) {
	tb.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	if len(data) == 0 {
		tb.Fatalf("%s is empty, nothing to corrupt", path)
	}
	data[0] ^= 0xff
	if err := os.WriteFile(path, data, 0o644); err != nil {
		tb.Fatal(err)
	}
}
