package gbdt

import (
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/bankml/retire/classifier/metrics"
)

// requireClose fails when any of got differs from want by more than 1e-6 and logs the
// largest difference.
func requireClose(t *testing.T, what string, got, want []float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d probabilities, want %d", what, len(got), len(want))
	}
	maxDiff := 0.0
	for i := range got {
		d := math.Abs(got[i] - want[i])
		if d > 1e-6 || math.IsNaN(d) {
			t.Errorf("%s: row %d: %.9g, want %.9g", what, i, got[i], want[i])
		}
		maxDiff = max(maxDiff, d)
	}
	t.Logf("%s: max difference %.3g over %d rows", what, maxDiff, len(got))
}

// writeModel writes the JSON of b to dir/name and returns its path.
func writeModel(t *testing.T, b *Booster, dir, name string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, mustMarshal(t, b), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestRoundTrip_LoadMarshalLoad(t *testing.T) {
	x, want := referencePredictions(t)
	first, err := Load(mustReadFile(t, sharedPath(t, "data/xgboost-1.7.4/model.json")))
	if err != nil {
		t.Fatal(err)
	}
	second, err := Load(mustMarshal(t, first))
	if err != nil {
		t.Fatal(err)
	}
	a, b := make([]float64, len(x)), make([]float64, len(x))
	first.PredictProba(x, a)
	second.PredictProba(x, b)
	for i := range a {
		if a[i] != b[i] {
			t.Errorf("row %d: %v before and %v after the round trip", i, a[i], b[i])
		}
	}
	requireClose(t, "round trip vs xgboost", b, want)
}

func TestRoundTrip_TrainedModel(t *testing.T) {
	d := mustLoadRetirement(t)
	b := mustTrain(t, d.x, d.y, retirementFeatures, pipelineParams())
	loaded, err := LoadWithFeatures(mustMarshal(t, b), retirementFeatures)
	if err != nil {
		t.Fatal(err)
	}
	got, want := make([]float64, len(d.x)), make([]float64, len(d.x))
	b.PredictProba(d.x, want)
	loaded.PredictProba(d.x, got)
	for i := range got {
		if got[i] != want[i] {
			t.Errorf("row %d: %v after loading, %v before", i, got[i], want[i])
		}
	}
}

// The shared model written back by MarshalJSON predicts in Python what xgboost predicted
// from the original file.
func TestPython_LoadsMarshaledSharedModel(t *testing.T) {
	requirePythonXGBoost(t)
	x, want := referencePredictions(t)
	b, err := Load(mustReadFile(t, sharedPath(t, "data/xgboost-1.7.4/model.json")))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	got := runPython(t, "gbdt_xgb_predict.py", writeModel(t, b, dir, "model.json"),
		writeCSV(t, dir, "x.csv", retirementFeatures, x, nil))
	requireClose(t, "python on our JSON", got, want)
}

// A model trained here with the pipeline's hyperparameters, sampling included, predicts
// the same in Python for all 500 rows, rows with missing values included.
func TestPython_PredictsOurModel(t *testing.T) {
	requirePythonXGBoost(t)
	d := mustLoadRetirement(t)
	b := mustTrain(t, d.x, d.y, retirementFeatures, pipelineParams())
	ours := make([]float64, len(d.x))
	b.PredictProba(d.x, ours)

	dir := t.TempDir()
	theirs := runPython(t, "gbdt_xgb_predict.py", writeModel(t, b, dir, "model.json"),
		writeCSV(t, dir, "x.csv", retirementFeatures, d.x, nil))
	requireClose(t, "python on our model", theirs, ours)
}

// A model trained by XGBClassifier with the pipeline's hyperparameters predicts the same here.
func TestPython_WePredictTheirModel(t *testing.T) {
	requirePythonXGBoost(t)
	d := mustLoadRetirement(t)
	dir := t.TempDir()
	modelPath := filepath.Join(dir, "xgb.json")
	theirs := runPython(t, "gbdt_xgb_train.py",
		writeCSV(t, dir, "train.csv", retirementFeatures, d.x, d.y),
		writeParams(t, dir, pipelineParams()), modelPath,
		writeCSV(t, dir, "x.csv", retirementFeatures, d.x, nil))

	b, err := LoadWithFeatures(mustReadFile(t, modelPath), retirementFeatures)
	if err != nil {
		t.Fatal(err)
	}
	ours := make([]float64, len(d.x))
	b.PredictProba(d.x, ours)
	requireClose(t, "our prediction of xgboost's model", ours, theirs)
}

// splitRows returns the rows whose index is a multiple of 5 as the test part and the others
// as the training part, a fixed split that both libraries use.
func splitRows(d retirementData) (train, test retirementData) {
	for i := range d.x {
		part := &train
		if i%5 == 0 {
			part = &test
		}
		part.x = append(part.x, d.x[i])
		part.y = append(part.y, d.y[i])
	}
	return train, test
}

// With the pipeline's hyperparameters, sampling included, our test AUC must be within 0.01
// of xgboost's on the same split.
func TestQuality_ComparableToXGBoost(t *testing.T) {
	requirePythonXGBoost(t)
	train, test := splitRows(mustLoadRetirement(t))
	dir := t.TempDir()
	theirs := runPython(t, "gbdt_xgb_train.py",
		writeCSV(t, dir, "train.csv", retirementFeatures, train.x, train.y),
		writeParams(t, dir, pipelineParams()), filepath.Join(dir, "xgb.json"),
		writeCSV(t, dir, "test.csv", retirementFeatures, test.x, nil))

	for _, seed := range []int64{0, 1, 2} {
		p := pipelineParams()
		p.Seed = seed
		b := mustTrain(t, train.x, train.y, retirementFeatures, p)
		ours := make([]float64, len(test.x))
		b.PredictProba(test.x, ours)

		ourAUC, theirAUC := metrics.ROCAUC(test.y, ours), metrics.ROCAUC(test.y, theirs)
		t.Logf("seed %d: test AUC ours %.4f, xgboost %.4f; accuracy ours %.3f, xgboost %.3f; log loss ours %.4f, xgboost %.4f",
			seed, ourAUC, theirAUC, metrics.Accuracy(test.y, ours), metrics.Accuracy(test.y, theirs),
			metrics.LogLoss(test.y, ours), metrics.LogLoss(test.y, theirs))
		if ourAUC < theirAUC-0.01 {
			t.Errorf("seed %d: test AUC %.4f, more than 0.01 below xgboost's %.4f", seed, ourAUC, theirAUC)
		}
	}
}
