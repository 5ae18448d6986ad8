package gbdt

import (
	"math"
	"path/filepath"
	"slices"
	"testing"
)

// Without row or column sampling, training draws no random numbers. On the real data the
// quantile sketch of xgboost 1.7.4 is exact, so our cuts are its cuts, and the trees should be
// the same: same structure, features, thresholds, default directions and leaf values. Gains
// and hessian sums may differ in the last bit because histograms are summed in another order.
func TestTrain_MatchesXGBoostWithoutSampling(t *testing.T) {
	requirePythonXGBoost(t)
	d := mustLoadRetirement(t)

	for _, tc := range []struct {
		name   string
		modify func(*Params)
	}{
		{"pipeline", func(*Params) {}},
		{"lossguide", func(p *Params) { p.GrowPolicy = GrowLossguide; p.MaxDepth = 0; p.MaxLeaves = 8 }},
		{"defaults", func(p *Params) { *p = DefaultParams(); p.NEstimators = 50 }},
		{"scale_pos_weight", func(p *Params) { p.ScalePosWeight = 3; p.BaseScore = 0.3 }},
		{"regularized", func(p *Params) { p.Gamma = 1; p.MinChildWeight = 5; p.RegAlpha = 0.5; p.RegLambda = 2 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			p := pipelineParams()
			p.Subsample, p.ColsampleByTree, p.ColsampleByNode = 1, 1, 1
			tc.modify(&p)
			// One xgboost thread fixes the order in which it sums histograms.
			p.NumThreads = 1

			ours, err := Train(d.x, d.y, retirementFeatures, p)
			if err != nil {
				t.Fatal(err)
			}
			train := writeCSV(t, dir, "train.csv", retirementFeatures, d.x, d.y)
			test := writeCSV(t, dir, "test.csv", retirementFeatures, d.x, nil)
			modelPath := filepath.Join(dir, "xgb.json")
			want := runPython(t, "gbdt_xgb_train.py", train, writeParams(t, dir, p), modelPath, test)
			theirs, err := Load(mustReadFile(t, modelPath))
			if err != nil {
				t.Fatal(err)
			}

			compareTrees(t, ours, theirs)
			got := make([]float64, len(d.x))
			ours.PredictProba(d.x, got)
			maxDiff := 0.0
			for i := range got {
				maxDiff = max(maxDiff, math.Abs(got[i]-want[i]))
			}
			t.Logf("max |ours - xgboost| = %.3g", maxDiff)
			if maxDiff > 1e-6 {
				t.Errorf("max |ours - xgboost| = %.3g, want <= 1e-6", maxDiff)
			}
		})
	}
}

// compareTrees checks that two boosters have trees of the same shape and splits, with leaf
// values within float32 rounding, and reports the first difference.
func compareTrees(t *testing.T, ours, theirs *Booster) {
	t.Helper()
	if len(ours.model.trees) != len(theirs.model.trees) {
		t.Fatalf("%d trees, xgboost has %d", len(ours.model.trees), len(theirs.model.trees))
	}
	for i := range ours.model.trees {
		a, b := &ours.model.trees[i], &theirs.model.trees[i]
		if !slices.Equal(a.leftChildren, b.leftChildren) || !slices.Equal(a.rightChildren, b.rightChildren) {
			t.Fatalf("tree %d: children %v/%v, xgboost %v/%v", i, a.leftChildren, a.rightChildren, b.leftChildren, b.rightChildren)
		}
		for n := range a.leftChildren {
			if a.leftChildren[n] < 0 {
				diff := math.Abs(float64(a.splitConditions[n] - b.splitConditions[n]))
				if diff > 1e-5*math.Abs(float64(b.splitConditions[n])) {
					t.Fatalf("tree %d, leaf %d: value %v, xgboost %v", i, n, a.splitConditions[n], b.splitConditions[n])
				}
				continue
			}
			if a.splitIndices[n] != b.splitIndices[n] || a.splitConditions[n] != b.splitConditions[n] || a.defaultLeft[n] != b.defaultLeft[n] {
				t.Fatalf("tree %d, node %d: split on feature %d at %v, default left %d; xgboost feature %d at %v, default left %d",
					i, n, a.splitIndices[n], a.splitConditions[n], a.defaultLeft[n], b.splitIndices[n], b.splitConditions[n], b.defaultLeft[n])
			}
		}
	}
}
