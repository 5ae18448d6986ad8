package gbdt

import (
	"bytes"
	"math"
	"testing"
)

// referencePredictions reads predictions.csv written by xgboost 1.7.4 next to the shared
// model: columns row, Age, Savings, probability.
func referencePredictions(tb testing.TB) (x [][]float64, want []float64) {
	tb.Helper()
	_, rows := readCSV(tb, sharedPath(tb, "data/xgboost-1.7.4/predictions.csv"))
	for _, r := range rows {
		x = append(x, []float64{parseCell(tb, r[1]), parseCell(tb, r[2])})
		want = append(want, parseCell(tb, r[3]))
	}
	return x, want
}

func TestLoad_SharedModelMatchesXGBoost(t *testing.T) {
	data := mustReadFile(t, sharedPath(t, "data/xgboost-1.7.4/model.json"))
	x, want := referencePredictions(t)
	if len(want) != 500 {
		t.Fatalf("predictions.csv has %d rows, expected 500", len(want))
	}

	b, err := LoadWithFeatures(data, []string{"Age", "Savings"})
	if err != nil {
		t.Fatal(err)
	}
	if b.NumTrees() != 300 {
		t.Errorf("NumTrees() = %d, want 300", b.NumTrees())
	}

	got := make([]float64, len(x))
	b.PredictProba(x, got)
	maxDiff := 0.0
	for i := range got {
		d := math.Abs(got[i] - want[i])
		maxDiff = max(maxDiff, d)
		if d > 1e-6 {
			t.Errorf("row %d %v: probability %.9g, xgboost %.9g", i, x[i], got[i], want[i])
		}
	}
	t.Logf("max |ours - xgboost| over %d rows: %.3g", len(got), maxDiff)
}

func TestMarshalJSON_SharedModelBytesUnchanged(t *testing.T) {
	data := mustReadFile(t, sharedPath(t, "data/xgboost-1.7.4/model.json"))
	b, err := Load(data)
	if err != nil {
		t.Fatal(err)
	}
	out, err := b.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	want := bytes.TrimRight(data, "\n")
	if !bytes.Equal(out, want) {
		i := 0
		for i < len(out) && i < len(want) && out[i] == want[i] {
			i++
		}
		lo := max(0, i-80)
		t.Fatalf("MarshalJSON differs from the file at byte %d:\n got ...%s\nwant ...%s",
			i, out[lo:min(len(out), i+80)], want[lo:min(len(want), i+80)])
	}
}
