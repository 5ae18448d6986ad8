package trainer

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bankml/retire/artifact"
	"github.com/bankml/retire/classifier"
	"github.com/bankml/retire/schemas"
)

// mustSynthetic returns the default synthetic sample as a dataset.
func mustSynthetic(tb testing.TB, rows int) *Dataset {
	tb.Helper()
	var buf bytes.Buffer
	opts := DefaultSynthOptions
	opts.Rows = rows
	if err := WriteSynthetic(context.Background(), &buf, opts); err != nil {
		tb.Fatal(err)
	}
	d, err := ReadCSV(&buf, "synthetic.csv", mustDefaultConfig(tb).Data)
	if err != nil {
		tb.Fatal(err)
	}
	return d
}

func TestWriteSynthetic_MatchesRealShape(t *testing.T) {
	d := mustSynthetic(t, 500)
	if len(d.Y) != 500 {
		t.Fatalf("rows = %d, want 500", len(d.Y))
	}
	if d.Positives() != 250 {
		t.Errorf("positives = %d, want 250", d.Positives())
	}
	if m := d.MissingCells(); m < 10 || m > 70 {
		t.Errorf("missing cells = %d, want a few dozen like the real data's 38", m)
	}
	for i, row := range d.X {
		if row[0] < minAge || row[0] > maxAge {
			t.Fatalf("row %d age %v outside [%v, %v]", i, row[0], minAge, maxAge)
		}
		if row[1] < minSavings || row[1] > maxSavings {
			t.Fatalf("row %d savings %v outside [%v, %v]", i, row[1], minSavings, maxSavings)
		}
	}
}

func TestWriteSynthetic_Seeded(t *testing.T) {
	var a, b, c bytes.Buffer
	for _, out := range []struct {
		buf  *bytes.Buffer
		seed int64
	}{{&a, 1}, {&b, 1}, {&c, 2}} {
		if err := WriteSynthetic(context.Background(), out.buf, SynthOptions{Rows: 50, Seed: out.seed, MissingAge: 0.1}); err != nil {
			t.Fatal(err)
		}
	}
	if a.String() != b.String() {
		t.Error("the same seed wrote different samples")
	}
	if a.String() == c.String() {
		t.Error("different seeds wrote the same sample")
	}
	if !strings.HasPrefix(a.String(), "# SYNTHETIC DATA") {
		t.Errorf("sample does not start by saying it is synthetic: %q", a.String()[:40])
	}
}

func TestTrain_LogisticOnSynthetic(t *testing.T) {
	cfg := mustDefaultConfig(t)
	cfg.Model.Type = classifier.TypeLogistic
	d := mustSynthetic(t, 400)
	result, err := Train(d, cfg, RunInfo{Revision: "abc123"})
	if err != nil {
		t.Fatal(err)
	}
	m := result.Metadata
	if m.Metrics.Accuracy < 0.9 {
		t.Errorf("accuracy = %.3f, want at least 0.9 on well separated synthetic data", m.Metrics.Accuracy)
	}
	if m.Data.TestRows != 100 || m.Data.TrainRows != 300 {
		t.Errorf("split = %d train, %d test, want 300 and 100", m.Data.TrainRows, m.Data.TestRows)
	}
	c := m.Metrics.ConfusionMatrix
	if c.TrueNegatives+c.FalsePositives+c.FalseNegatives+c.TruePositives != 100 {
		t.Errorf("confusion matrix %+v does not add up to 100 test rows", c)
	}
	if m.Model.Format != classifier.FormatLogistic || m.Model.WeightsFile != WeightsFile {
		t.Errorf("model info = %+v", m.Model)
	}
	if m.Source.Revision != "abc123" {
		t.Errorf("revision = %q, want abc123", m.Source.Revision)
	}
	if m.Features[0].Name != "Age" || m.Features[0].Min < minAge || m.Features[0].Max > maxAge {
		t.Errorf("feature 0 = %+v", m.Features[0])
	}
}

func TestTrain_BelowGate(t *testing.T) {
	cfg := mustDefaultConfig(t)
	cfg.Model.Type = classifier.TypeLogistic
	cfg.Gate.MinAccuracy = 1.0
	d := mustSynthetic(t, 200)
	// Flip some labels so that no model can be perfect.
	for i := 0; i < len(d.Y); i += 7 {
		d.Y[i] = 1 - d.Y[i]
	}
	result, err := Train(d, cfg, RunInfo{})
	if !errors.Is(err, ErrBelowGate) {
		t.Fatalf("error = %v, want ErrBelowGate", err)
	}
	if result == nil || result.Metadata.Metrics.Accuracy >= 1 {
		t.Errorf("result = %+v, want the scores of the failed model", result)
	}
}

func TestRunTrain_WritesModelDir(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "sample.csv")
	f, err := os.Create(data)
	if err != nil {
		t.Fatal(err)
	}
	if err := WriteSynthetic(context.Background(), f, DefaultSynthOptions); err != nil {
		t.Fatal(err)
	}
	f.Close()

	out := filepath.Join(dir, "model")
	var report bytes.Buffer
	_, err = RunTrain(TrainOptions{Inputs: Inputs{DataPath: data, OutputDir: out, Environ: []string{"TRAINER_MODEL_TYPE=logistic"}}, CVFolds: 3}, &report, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"accuracy", "roc_auc", "log_loss", "confusion", "cv accuracy", "gate"} {
		if !strings.Contains(report.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, report.String())
		}
	}

	raw, err := os.ReadFile(filepath.Join(out, artifact.MetadataFile))
	if err != nil {
		t.Fatal(err)
	}
	if err := schemas.Validate(schemas.Metadata, raw); err != nil {
		t.Errorf("metadata.json does not match its schema: %v", err)
	}
	var meta artifact.Metadata
	if err := json.Unmarshal(raw, &meta); err != nil {
		t.Fatal(err)
	}
	if meta.Metrics.CrossValidation == nil || meta.Metrics.CrossValidation.Folds != 3 {
		t.Errorf("cross-validation = %+v, want 3 folds", meta.Metrics.CrossValidation)
	}
	weights, err := os.ReadFile(filepath.Join(out, WeightsFile))
	if err != nil {
		t.Fatal(err)
	}
	pipeline, err := classifier.Load(meta.Model.Format, weights, meta.Model.Preprocessing, []string{"Age", "Savings"})
	if err != nil {
		t.Fatalf("written model does not load: %v", err)
	}
	if _, err := pipeline.PredictProba([][]float64{{50, 500000}}); err != nil {
		t.Error(err)
	}
	card, err := os.ReadFile(filepath.Join(out, artifact.ModelCardFile))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(card), "# Model card: retirement-classifier") || !strings.Contains(string(card), meta.Data.SHA256) {
		t.Errorf("model card lacks the title or the data digest:\n%s", card)
	}
	entries, _ := os.ReadDir(out)
	if len(entries) != 3 {
		t.Errorf("model dir has %d entries, want exactly the 3 files (no temporary files left)", len(entries))
	}
}

func TestRunTrain_GateFailureWritesNothing(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "sample.csv")
	f, _ := os.Create(data)
	if err := WriteSynthetic(context.Background(), f, DefaultSynthOptions); err != nil {
		t.Fatal(err)
	}
	f.Close()
	out := filepath.Join(dir, "model")
	_, err := RunTrain(TrainOptions{Inputs: Inputs{DataPath: data, OutputDir: out, Environ: []string{"TRAINER_MODEL_TYPE=logistic", "TRAINER_GATE_MIN_ACCURACY=1"}}},
		&bytes.Buffer{}, slog.New(slog.DiscardHandler))
	if !errors.Is(err, ErrBelowGate) {
		t.Fatalf("error = %v, want ErrBelowGate", err)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("output dir exists after a gate failure (stat error %v)", err)
	}
}

func TestWriteModelDir_ReplacesWholeDirectory(t *testing.T) {
	cfg := mustDefaultConfig(t)
	cfg.Model.Type = classifier.TypeLogistic
	result, err := Train(mustSynthetic(t, 200), cfg, RunInfo{})
	if err != nil {
		t.Fatal(err)
	}
	parent := t.TempDir()
	dir := filepath.Join(parent, "model")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	stale := filepath.Join(dir, "MODEL_CARD.md")
	if err := os.WriteFile(stale, []byte("from an older run"), 0o644); err != nil {
		t.Fatal(err)
	}
	leftover := filepath.Join(parent, ".model.tmp-123", "model.json")
	if err := os.MkdirAll(filepath.Dir(leftover), 0o755); err != nil {
		t.Fatal(err)
	}

	if err := WriteModelDir(dir, result); err != nil {
		t.Fatal(err)
	}
	card, err := os.ReadFile(stale)
	if err != nil {
		t.Fatal(err)
	}
	if string(card) == "from an older run" {
		t.Error("the old model card survived")
	}
	entries, err := os.ReadDir(parent)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		t.Errorf("parent holds %d entries, want only the model directory (no staging leftovers)", len(entries))
	}
}

func TestWriteModelDir_RejectsFileInTheWay(t *testing.T) {
	cfg := mustDefaultConfig(t)
	cfg.Model.Type = classifier.TypeLogistic
	result, err := Train(mustSynthetic(t, 200), cfg, RunInfo{})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "model")
	if err := os.WriteFile(path, []byte("not a directory"), 0o644); err != nil {
		t.Fatal(err)
	}
	err = WriteModelDir(path, result)
	if err == nil || !strings.Contains(err.Error(), "not a directory") {
		t.Errorf("error = %v, want one saying the output is not a directory", err)
	}
}

func TestWriteSynthetic_Limits(t *testing.T) {
	for _, rows := range []int{1, MaxSynthRows + 1} {
		if err := WriteSynthetic(context.Background(), io.Discard, SynthOptions{Rows: rows}); !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("rows %d: error = %v, want ErrInvalidConfig", rows, err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := WriteSynthetic(ctx, io.Discard, DefaultSynthOptions); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled context: error = %v, want context.Canceled", err)
	}
}

func TestWriteModelDir_KeepsOtherData(t *testing.T) {
	cfg := mustDefaultConfig(t)
	cfg.Model.Type = classifier.TypeLogistic
	result, err := Train(mustSynthetic(t, 200), cfg, RunInfo{})
	if err != nil {
		t.Fatal(err)
	}
	for _, entry := range []string{"data.csv", "notes/"} {
		dir := t.TempDir()
		path := filepath.Join(dir, entry)
		if strings.HasSuffix(entry, "/") {
			err = os.Mkdir(path, 0o755)
		} else {
			err = os.WriteFile(path, []byte("keep me"), 0o644)
		}
		if err != nil {
			t.Fatal(err)
		}

		err = WriteModelDir(dir, result)
		if err == nil || !strings.Contains(err.Error(), "not a model file") {
			t.Errorf("%s: error = %v, want a refusal to replace a directory with other data", entry, err)
		}
		if _, statErr := os.Stat(path); statErr != nil {
			t.Errorf("%s was lost: %v", entry, statErr)
		}
	}
}
