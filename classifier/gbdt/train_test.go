package gbdt

import (
	"bytes"
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// mustTrain trains or fails the test.
func mustTrain(tb testing.TB, x [][]float64, y []float64, names []string, p Params) *Booster {
	tb.Helper()
	b, err := Train(x, y, names, p)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// mustMarshal returns the JSON of b or fails the test.
func mustMarshal(tb testing.TB, b *Booster) []byte {
	tb.Helper()
	data, err := b.MarshalJSON()
	if err != nil {
		tb.Fatal(err)
	}
	return data
}

// treeDepth returns the depth of node n's subtree.
func treeDepth(t *tree, n int32) int {
	if t.leftChildren[n] < 0 {
		return 0
	}
	return 1 + max(treeDepth(t, t.leftChildren[n]), treeDepth(t, t.rightChildren[n]))
}

// countLeaves returns the number of leaves of t.
func countLeaves(t *tree) int {
	leaves := 0
	for _, l := range t.leftChildren {
		if l < 0 {
			leaves++
		}
	}
	return leaves
}

func TestTrain_Deterministic(t *testing.T) {
	// More rows than histBlockRows, so histograms and partitions are split into blocks.
	x, y := syntheticData(3*histBlockRows+123, 3)
	p := pipelineParams()
	p.NEstimators = 40
	p.MaxBin = 64

	p.NumThreads = 1
	one := mustMarshal(t, mustTrain(t, x, y, []string{"Age", "Savings"}, p))
	p.NumThreads = 4
	four := mustMarshal(t, mustTrain(t, x, y, []string{"Age", "Savings"}, p))
	again := mustMarshal(t, mustTrain(t, x, y, []string{"Age", "Savings"}, p))

	if !bytes.Equal(one, four) {
		t.Error("model JSON differs between NumThreads 1 and 4")
	}
	if !bytes.Equal(four, again) {
		t.Error("model JSON differs between two runs with the same seed")
	}

	p.Seed = 42
	other := mustMarshal(t, mustTrain(t, x, y, []string{"Age", "Savings"}, p))
	if bytes.Equal(four, other) {
		t.Error("seeds 0 and 42 gave the same model; sampling ignores the seed")
	}
}

// In this data a missing value of x means class 1 and a present value class 0, so the one
// useful split sends missing values to the side of high leaf values.
func TestTrain_LearnsMissingDirection(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	var x [][]float64
	var y []float64
	for range 2000 {
		v := rng.Float64() * 100
		label := 0.0
		if rng.Float64() < 0.3 {
			v, label = math.NaN(), 1
		}
		x = append(x, []float64{v})
		y = append(y, label)
	}
	p := DefaultParams()
	p.NEstimators = 10

	b := mustTrain(t, x, y, []string{"x"}, p)
	root := &b.model.trees[0]
	if root.leftChildren[0] < 0 {
		t.Fatal("first tree has no split")
	}
	missingChild := root.rightChildren[0]
	if root.defaultLeft[0] == 1 {
		missingChild = root.leftChildren[0]
	}
	if root.splitConditions[missingChild] <= 0 {
		t.Errorf("missing values go to a child of value %v, want the positive side", root.splitConditions[missingChild])
	}

	got := make([]float64, 2)
	b.PredictProba([][]float64{{math.NaN()}, {50}}, got)
	if got[0] < 0.9 || got[1] > 0.1 {
		t.Errorf("P(missing) = %.3f, P(present) = %.3f; want > 0.9 and < 0.1", got[0], got[1])
	}

	// The same data with the classes swapped must learn the opposite direction.
	for i := range y {
		y[i] = 1 - y[i]
	}
	b = mustTrain(t, x, y, []string{"x"}, p)
	b.PredictProba([][]float64{{math.NaN()}, {50}}, got)
	if got[0] > 0.1 || got[1] < 0.9 {
		t.Errorf("swapped classes: P(missing) = %.3f, P(present) = %.3f; want < 0.1 and > 0.9", got[0], got[1])
	}
}

// The first tree starts from base_score 0.5, where every row has gradient 0.5 - y and
// hessian 0.25, so the root's statistics have closed forms.
func TestTrain_RootWeightFormula(t *testing.T) {
	d := mustLoadRetirement(t)
	p := DefaultParams()
	p.NEstimators = 1
	p.RegAlpha = 3
	p.RegLambda = 2
	p.ScalePosWeight = 1.5

	b := mustTrain(t, d.x, d.y, retirementFeatures, p)
	var g, h float64
	for _, label := range d.y {
		w := 1.0
		if label == 1 {
			w = 1.5
		}
		g += w * (0.5 - label)
		h += w * 0.25
	}
	wantWeight := -thresholdL1(g, 3) / (h + 2)

	root := &b.model.trees[0]
	if got := float64(root.sumHessian[0]); math.Abs(got-h) > 1e-4 {
		t.Errorf("root sum_hessian = %v, want %v", got, h)
	}
	if got := float64(root.baseWeights[0]); math.Abs(got-wantWeight) > 1e-6 {
		t.Errorf("root base_weight = %v, want -ThresholdL1(G, alpha)/(H + lambda) = %v", got, wantWeight)
	}
}

func TestTrain_SubsampleUsesPartOfRows(t *testing.T) {
	x, y := syntheticData(20_000, 4)
	p := DefaultParams()
	p.NEstimators = 5
	p.Subsample = 0.5

	b := mustTrain(t, x, y, []string{"Age", "Savings"}, p)
	for i, tr := range b.model.trees[:1] {
		// In the first tree every hessian is 0.25, so sum_hessian counts the sampled rows.
		rows := float64(tr.sumHessian[0]) / 0.25
		if rows < 0.47*20_000 || rows > 0.53*20_000 {
			t.Errorf("tree %d sampled %.0f of 20000 rows, want about half", i, rows)
		}
	}

	p.Subsample = 1
	full := mustTrain(t, x, y, []string{"Age", "Savings"}, p)
	if got := full.model.trees[0].sumHessian[0]; got != 0.25*20_000 {
		t.Errorf("subsample 1: root sum_hessian = %v, want %v", got, 0.25*20_000)
	}
}

func TestTrain_ColsampleByTree(t *testing.T) {
	x, y := syntheticData(5000, 6)
	p := DefaultParams()
	p.NEstimators = 30
	p.ColsampleByTree = 0.5

	b := mustTrain(t, x, y, []string{"Age", "Savings"}, p)
	used := map[int32]bool{}
	for i := range b.model.trees {
		tr := &b.model.trees[i]
		features := map[int32]bool{}
		for n, l := range tr.leftChildren {
			if l >= 0 {
				features[tr.splitIndices[n]] = true
				used[tr.splitIndices[n]] = true
			}
		}
		if len(features) > 1 {
			t.Errorf("tree %d splits on %d features, want 1 of 2 with colsample_bytree 0.5", i, len(features))
		}
	}
	if len(used) != 2 {
		t.Errorf("trees use features %v, want both across 30 trees", used)
	}
}

// Only feature 0 carries signal. Without node sampling every split uses it; drawing one of
// four features per node forces some splits onto the noise features.
func TestTrain_ColsampleByNode(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 8))
	var x [][]float64
	var y []float64
	for range 3000 {
		row := []float64{rng.Float64(), rng.Float64(), rng.Float64(), rng.Float64()}
		label := 0.0
		if row[0] > 0.5 {
			label = 1
		}
		x = append(x, row)
		y = append(y, label)
	}
	names := []string{"signal", "noise1", "noise2", "noise3"}
	p := DefaultParams()
	p.NEstimators = 5
	p.MaxDepth = 3

	countNoise := func(b *Booster) int {
		n := 0
		for i := range b.model.trees {
			tr := &b.model.trees[i]
			for node, l := range tr.leftChildren {
				if l >= 0 && tr.splitIndices[node] != 0 {
					n++
				}
			}
		}
		return n
	}
	if n := countNoise(mustTrain(t, x, y, names, p)); n != 0 {
		t.Logf("colsample_bynode 1: %d splits on noise features", n)
	}
	p.ColsampleByNode = 0.25
	if n := countNoise(mustTrain(t, x, y, names, p)); n == 0 {
		t.Error("colsample_bynode 0.25: no split on a noise feature, so nodes are not sampled")
	}
}

func TestTrain_GammaPrunes(t *testing.T) {
	d := mustLoadRetirement(t)
	p := DefaultParams()
	p.NEstimators = 20

	nodes := func(b *Booster) int {
		n := 0
		for i := range b.model.trees {
			n += b.model.trees[i].numNodes()
		}
		return n
	}
	base := nodes(mustTrain(t, d.x, d.y, retirementFeatures, p))

	p.Gamma = 2
	b := mustTrain(t, d.x, d.y, retirementFeatures, p)
	if got := nodes(b); got >= base {
		t.Errorf("gamma 2: %d nodes, want fewer than %d without gamma", got, base)
	}
	for i := range b.model.trees {
		tr := &b.model.trees[i]
		for n, l := range tr.leftChildren {
			if l >= 0 && tr.lossChanges[n] < 2 {
				t.Errorf("tree %d, node %d: split with loss change %v below gamma 2", i, n, tr.lossChanges[n])
			}
		}
	}

	p.Gamma = 1e6
	b = mustTrain(t, d.x, d.y, retirementFeatures, p)
	if got := nodes(b); got != p.NEstimators {
		t.Errorf("gamma 1e6: %d nodes, want one leaf per tree", got)
	}
}

func TestTrain_MinChildWeightPrunes(t *testing.T) {
	d := mustLoadRetirement(t)
	p := DefaultParams()
	p.NEstimators = 10
	p.MinChildWeight = 10

	b := mustTrain(t, d.x, d.y, retirementFeatures, p)
	for i := range b.model.trees {
		tr := &b.model.trees[i]
		for n, l := range tr.leftChildren {
			if l < 0 && n > 0 && float64(tr.sumHessian[n]) < p.MinChildWeight {
				t.Errorf("tree %d, leaf %d: sum_hessian %v below min_child_weight %v", i, n, tr.sumHessian[n], p.MinChildWeight)
			}
		}
	}

	p.MinChildWeight = 1000
	b = mustTrain(t, d.x, d.y, retirementFeatures, p)
	if n := b.model.trees[0].numNodes(); n != 1 {
		t.Errorf("min_child_weight 1000 with a root hessian of 125: %d nodes, want 1", n)
	}
}

func TestTrain_LossguideMaxLeaves(t *testing.T) {
	x, y := syntheticData(5000, 9)
	p := DefaultParams()
	p.NEstimators = 10
	p.GrowPolicy = GrowLossguide
	p.MaxDepth = 0
	p.MaxLeaves = 7

	b := mustTrain(t, x, y, []string{"Age", "Savings"}, p)
	deepest := 0
	for i := range b.model.trees {
		tr := &b.model.trees[i]
		if got := countLeaves(tr); got > 7 {
			t.Errorf("tree %d has %d leaves, max_leaves is 7", i, got)
		}
		deepest = max(deepest, treeDepth(tr, 0))
	}
	if got := countLeaves(&b.model.trees[0]); got != 7 {
		t.Errorf("first tree has %d leaves, want all 7 on 5000 noisy rows", got)
	}
	// Seven leaves in a balanced tree would need depth 3; lossguide follows the gain.
	if deepest <= 3 {
		t.Logf("deepest lossguide tree has depth %d", deepest)
	}
}

func TestTrain_DepthwiseMaxDepth(t *testing.T) {
	x, y := syntheticData(5000, 10)
	p := DefaultParams()
	p.NEstimators = 10
	p.MaxDepth = 3

	b := mustTrain(t, x, y, []string{"Age", "Savings"}, p)
	deepest := 0
	for i := range b.model.trees {
		d := treeDepth(&b.model.trees[i], 0)
		if d > 3 {
			t.Errorf("tree %d has depth %d, max_depth is 3", i, d)
		}
		deepest = max(deepest, d)
	}
	if deepest != 3 {
		t.Errorf("deepest tree has depth %d, want 3", deepest)
	}

	p.MaxLeaves = 5
	b = mustTrain(t, x, y, []string{"Age", "Savings"}, p)
	for i := range b.model.trees {
		if got := countLeaves(&b.model.trees[i]); got > 5 {
			t.Errorf("depthwise with max_leaves 5: tree %d has %d leaves", i, got)
		}
	}
}

func TestTrain_RejectsBadData(t *testing.T) {
	p := DefaultParams()
	p.NEstimators = 1
	good := [][]float64{{1, 2}, {3, 4}}
	tests := []struct {
		name  string
		x     [][]float64
		y     []float64
		names []string
		want  string
	}{
		{"no rows", nil, nil, []string{"a", "b"}, "0 rows and 0 labels"},
		{"label count", good, []float64{1}, []string{"a", "b"}, "2 rows and 1 labels"},
		{"label value", good, []float64{0, 2}, []string{"a", "b"}, "label of row 1 is 2, must be 0 or 1"},
		{"NaN label", good, []float64{math.NaN(), 1}, []string{"a", "b"}, "label of row 0 is NaN"},
		{"short row", [][]float64{{1, 2}, {3}}, []float64{0, 1}, []string{"a", "b"}, "row 1 has 1 values, expected 2"},
		{"infinite value", [][]float64{{1, math.Inf(-1)}, {3, 4}}, []float64{0, 1}, []string{"a", "b"}, `row 0, feature "b": -Inf is outside the float32 range`},
		{"float32 overflow", [][]float64{{1, 2}, {1e300, 4}}, []float64{0, 1}, []string{"a", "b"}, `row 1, feature "a": 1e+300`},
		{"no features", good, []float64{0, 1}, nil, "0 feature names"},
		{"duplicate name", good, []float64{0, 1}, []string{"a", "a"}, `feature name "a" appears twice`},
		{"empty name", good, []float64{0, 1}, []string{"a", ""}, "feature name 1"},
		{"bracket in name", good, []float64{0, 1}, []string{"a[0]", "b"}, "without [, ] or <"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Train(tc.x, tc.y, tc.names, p)
			if !errors.Is(err, ErrInvalidData) {
				t.Fatalf("Train() = %v, want ErrInvalidData", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Train() = %q, want it to contain %q", err, tc.want)
			}
		})
	}
}

func TestTrain_AllMissingFeature(t *testing.T) {
	x, y := syntheticData(1000, 11)
	for _, row := range x {
		row[1] = math.NaN()
	}
	p := DefaultParams()
	p.NEstimators = 5
	b := mustTrain(t, x, y, []string{"Age", "Savings"}, p)
	for i := range b.model.trees {
		tr := &b.model.trees[i]
		for n, l := range tr.leftChildren {
			if l >= 0 && tr.splitIndices[n] != 0 {
				t.Errorf("tree %d splits on the all-missing feature", i)
			}
		}
	}
}
