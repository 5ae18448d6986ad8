package gbdt

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// referenceProba walks the XGBoost arrays of b's trees directly, one row at a time, with
// the rules of xgboost's predictor. It checks the flat layout that prediction uses.
func referenceProba(b *Booster, row []float64) float64 {
	margin := b.baseMargin
	for i := range b.model.trees {
		t := &b.model.trees[i]
		n := int32(0)
		for t.leftChildren[n] >= 0 {
			f := t.splitIndices[n]
			v := float32(math.NaN())
			if int(f) < len(row) {
				v = float32(row[f])
			}
			switch {
			case math.IsNaN(float64(v)):
				if t.defaultLeft[n] == 1 {
					n = t.leftChildren[n]
				} else {
					n = t.rightChildren[n]
				}
			case v < t.splitConditions[n]:
				n = t.leftChildren[n]
			default:
				n = t.rightChildren[n]
			}
		}
		margin += t.splitConditions[n]
	}
	return float64(sigmoid(margin))
}

// wideData returns rows of nf uniform features, 10% missing, whose label depends on the
// first and last feature.
func wideData(n, nf int, seed uint64) (x [][]float64, y []float64, names []string) {
	rng := rand.New(rand.NewPCG(seed, 1))
	for f := range nf {
		names = append(names, "f"+string(rune('A'+f/26))+string(rune('a'+f%26)))
	}
	for range n {
		row := make([]float64, nf)
		for f := range row {
			row[f] = rng.NormFloat64()
			if rng.Float64() < 0.1 {
				row[f] = math.NaN()
			}
		}
		label := 0.0
		if rng.Float64() < 1/(1+math.Exp(-(2*row[0]-row[nf-1]))) {
			label = 1
		}
		x = append(x, row)
		y = append(y, label)
	}
	return x, y, names
}

func TestPredictProba_MatchesReference(t *testing.T) {
	deep := DefaultParams()
	deep.NEstimators = 5
	deep.GrowPolicy = GrowLossguide
	deep.MaxDepth = 0
	deep.MaxLeaves = 200
	deep.MinChildWeight = 0.1
	shallow := DefaultParams()
	shallow.NEstimators = 20
	shallow.ColsampleByTree = 0.5

	stumps := shallow
	stumps.MaxDepth = 1
	leaves := shallow
	leaves.Gamma = 1e6

	tests := []struct {
		name string
		nf   int
		p    Params
		// wantDeep requires a tree deeper than maxCompleteDepth, so that the flat layout
		// is exercised.
		wantDeep bool
	}{
		{"complete layout", 3, shallow, false},
		{"depth 1", 3, stumps, false},
		{"depth 0", 3, leaves, false},
		{"flat layout", 3, deep, true},
		{"row by row", maxBlockFeatures + 6, shallow, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			x, y, names := wideData(3000, tc.nf, uint64(tc.nf))
			b := mustTrain(t, x, y, names, tc.p)
			if tc.wantDeep && !slices.ContainsFunc(b.complete, func(c completeTree) bool { return c.depth < 0 }) {
				t.Fatalf("no tree deeper than %d; depths %v", maxCompleteDepth, b.depths)
			}

			// Rows that end early treat the absent features as missing; extra values are
			// ignored.
			x = append(x, []float64{}, x[0][:1], append(append([]float64(nil), x[1]...), 5, 6))
			got := make([]float64, len(x))
			b.PredictProba(x, got)
			for i, row := range x {
				if want := referenceProba(b, row); got[i] != want {
					t.Errorf("row %d: %v, reference %v", i, got[i], want)
				}
			}
		})
	}
}

func TestPredictProba_InfiniteValues(t *testing.T) {
	x, y := syntheticData(2000, 13)
	b := mustTrain(t, x, y, []string{"Age", "Savings"}, DefaultParams())
	rows := [][]float64{{math.Inf(1), math.Inf(-1)}, {math.Inf(-1), math.NaN()}, {math.NaN(), math.Inf(1)}}
	got := make([]float64, len(rows))
	b.PredictProba(rows, got)
	for i, row := range rows {
		if want := referenceProba(b, row); got[i] != want {
			t.Errorf("row %v: %v, reference %v", row, got[i], want)
		}
	}
}

func TestPredictProbaDense_MatchesRows(t *testing.T) {
	x, y := syntheticData(5000, 14)
	b := mustTrain(t, x, y, []string{"Age", "Savings"}, pipelineParams())
	flat := make([]float64, 0, 2*len(x))
	for _, row := range x {
		flat = append(flat, row...)
	}
	want, got := make([]float64, len(x)), make([]float64, len(x))
	b.PredictProba(x, want)
	if err := b.PredictProbaDense(flat, 2, got); err != nil {
		t.Fatal(err)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("row %d: dense %v, rows %v", i, got[i], want[i])
		}
	}

	if err := b.PredictProbaDense(flat[:3], 2, got); !errors.Is(err, ErrInvalidInput) {
		t.Errorf("PredictProbaDense with 3 values in rows of 2 = %v, want ErrInvalidInput", err)
	}
	if err := b.PredictProbaDense(flat, 2, got[:10]); !errors.Is(err, ErrInvalidInput) {
		t.Errorf("PredictProbaDense with a short out = %v, want ErrInvalidInput", err)
	}
}

func TestPredictProba_ShortOut(t *testing.T) {
	x, y := syntheticData(100, 15)
	p := DefaultParams()
	p.NEstimators = 3
	b := mustTrain(t, x, y, []string{"Age", "Savings"}, p)
	out := make([]float64, 10)
	b.PredictProba(x, out)
	for i, v := range out {
		if v != referenceProba(b, x[i]) {
			t.Errorf("row %d: %v, reference %v", i, v, referenceProba(b, x[i]))
		}
	}
}
