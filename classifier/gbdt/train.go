package gbdt

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Train fits a booster of p.NEstimators trees to rows x (NaN = missing) and labels y (0 or
// 1) with XGBoost's hist algorithm for binary:logistic. featureNames names the columns of x
// and is stored in the model. Train runs on p.NumThreads goroutines, and the model, including
// the bytes of its JSON, depends only on the data and p, not on the number of goroutines.
func Train(x [][]float64, y []float64, featureNames []string, p Params) (*Booster, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	columns, labels, err := checkData(x, y, featureNames)
	if err != nil {
		return nil, err
	}

	workers := numWorkers(p.NumThreads)
	t := newTrainer(p, binData(columns, p.MaxBin, workers), labels, workers)
	trees := make([]tree, p.NEstimators)
	for i := range trees {
		trees[i] = t.growTree(i)
	}

	b := &Booster{model: newModel(p, featureNames, trees)}
	b.compile()
	return b, nil
}

// checkData validates the training data and returns it as float32 columns, the precision
// XGBoost stores its input in.
func checkData(x [][]float64, y []float64, featureNames []string) ([][]float32, []float32, error) {
	nf := len(featureNames)
	if nf == 0 || nf > MaxFeatures {
		return nil, nil, fmt.Errorf("%w: %d feature names, must be between 1 and %d", ErrInvalidData, nf, MaxFeatures)
	}
	seen := make(map[string]bool, nf)
	for i, name := range featureNames {
		if name == "" || !utf8.ValidString(name) || strings.ContainsAny(name, "[]<") {
			return nil, nil, fmt.Errorf("%w: feature name %d (%q) must be non-empty UTF-8 without [, ] or <, which xgboost rejects", ErrInvalidData, i, name)
		}
		if seen[name] {
			return nil, nil, fmt.Errorf("%w: feature name %q appears twice", ErrInvalidData, name)
		}
		seen[name] = true
	}
	if len(x) == 0 || len(x) != len(y) {
		return nil, nil, fmt.Errorf("%w: %d rows and %d labels, need the same number and at least one", ErrInvalidData, len(x), len(y))
	}
	if len(x) > math.MaxUint32 {
		return nil, nil, fmt.Errorf("%w: %d rows, more than %d", ErrInvalidData, len(x), uint32(math.MaxUint32))
	}

	columns := make([][]float32, nf)
	for f := range columns {
		columns[f] = make([]float32, len(x))
	}
	labels := make([]float32, len(y))
	for i, row := range x {
		if len(row) != nf {
			return nil, nil, fmt.Errorf("%w: row %d has %d values, expected %d (one per feature name)", ErrInvalidData, i, len(row), nf)
		}
		for f, v := range row {
			v32 := float32(v)
			if math.IsInf(float64(v32), 0) {
				return nil, nil, fmt.Errorf("%w: row %d, feature %q: %v is outside the float32 range; use NaN for a missing value", ErrInvalidData, i, featureNames[f], v)
			}
			columns[f][i] = v32
		}
		if y[i] != 0 && y[i] != 1 {
			return nil, nil, fmt.Errorf("%w: label of row %d is %v, must be 0 or 1", ErrInvalidData, i, y[i])
		}
		labels[i] = float32(y[i])
	}
	return columns, labels, nil
}

// newModel assembles the XGBoost model fields of a trained booster, with the values that
// xgboost 1.7's training writes.
func newModel(p Params, featureNames []string, trees []tree) model {
	types := make([]string, len(featureNames))
	for i := range types {
		types[i] = "float"
	}
	// XGBoost records boost_from_average = 0 when the caller sets base_score, and a default
	// base_score of 0.5 otherwise.
	boostFromAverage := 1
	if float32(p.BaseScore) != 0.5 {
		boostFromAverage = 0
	}
	return model{
		version: xgboostVersion,
		// xgboost.train sets these attributes when no early stopping ran.
		attributes: map[string]string{
			"best_iteration":   strconv.Itoa(len(trees) - 1),
			"best_ntree_limit": strconv.Itoa(len(trees)),
		},
		featureNames:     slices.Clone(featureNames),
		featureTypes:     types,
		baseScore:        float32(p.BaseScore),
		boostFromAverage: boostFromAverage,
		numFeature:       len(featureNames),
		numTarget:        1,
		objective:        "binary:logistic",
		scalePosWeight:   float32(p.ScalePosWeight),
		numParallelTree:  1,
		treeInfo:         make([]int32, len(trees)),
		trees:            trees,
	}
}

// trainer contains the state of one Train call. Its buffers are reused by every tree.
type trainer struct {
	p       Params
	tp      treeParams
	data    *binnedData
	workers int

	// margin is the log-odds of every row so far, and grad its gradient pair for the
	// current tree.
	margin []float32
	grad   []gradPair

	// rows lists the sampled rows, and each node of the current tree owns a contiguous range
	// of it. rowsTmp is scratch space of the same size for partitioning. unsampled lists the
	// numUnsampled rows left out of the current tree.
	rows         []uint32
	rowsTmp      []uint32
	unsampled    []uint32
	numUnsampled int

	// classWeights are the weights of label 0 and label 1: 1 and scale_pos_weight.
	classWeights [2]float32
	// labelIndex is the label of each row as an index into classWeights.
	labelIndex []uint8

	// chunkCounts and chunkSums are per-chunk results of the gradient pass.
	chunkCounts []int
	chunkSums   []gradSum

	// features are the tree's sampled features, ascending, and histOffset[f] the position of
	// feature f in a node histogram, or -1 when f is not sampled. histLen is the length of a
	// node histogram.
	features   []int
	histOffset []int
	histLen    int
	histPool   [][]gradSum

	g   grower
	rng *rand.Rand
}

func newTrainer(p Params, d *binnedData, labels []float32, workers int) *trainer {
	n := d.numRows
	t := &trainer{
		p:          p,
		tp:         newTreeParams(p),
		data:       d,
		workers:    workers,
		margin:     make([]float32, n),
		grad:       make([]gradPair, n),
		rows:       make([]uint32, n),
		rowsTmp:    make([]uint32, n),
		unsampled:  make([]uint32, n),
		labelIndex: make([]uint8, n),
		histOffset: make([]int, len(d.cuts)),
		rng:        rand.New(rand.NewPCG(uint64(p.Seed), 0x6762647473656564)),
	}
	chunks := (n + histBlockRows - 1) / histBlockRows
	t.chunkCounts = make([]int, chunks)
	t.chunkSums = make([]gradSum, chunks)

	t.classWeights = [2]float32{1, float32(p.ScalePosWeight)}
	for i, y := range labels {
		if y == 1 {
			t.labelIndex[i] = 1
		}
	}

	base := probToMargin(float32(p.BaseScore))
	for i := range t.margin {
		t.margin[i] = base
	}
	return t
}

// computeGradients samples the rows of tree iter, computes the gradient pair of each
// sampled row from its margin, and lists the sampled rows in t.rows and the others in
// t.unsampled. It returns the number of sampled rows and the sum of their gradient pairs.
func (t *trainer) computeGradients(iter int) (int, gradSum) {
	n := t.data.numRows
	subsample := t.p.Subsample
	seed := rowSeed(t.p.Seed, iter)

	parallelFor(t.workers, n, histBlockRows, func(begin, end int) {
		k, u := begin, begin
		var sum gradSum
		for r := begin; r < end; r++ {
			if subsample < 1 && uniform(seed, uint64(r)) >= subsample {
				t.unsampled[u] = uint32(r)
				u++
				continue
			}
			label := t.labelIndex[r]
			gp := logisticGradient(t.margin[r], float32(label), t.classWeights[label])
			t.grad[r] = gp
			sum.g += float64(gp.g)
			sum.h += float64(gp.h)
			t.rows[k] = uint32(r)
			k++
		}
		c := begin / histBlockRows
		t.chunkCounts[c] = k - begin
		t.chunkSums[c] = sum
	})

	count := 0
	t.numUnsampled = 0
	var total gradSum
	for c := range t.chunkCounts {
		begin := c * histBlockRows
		kept := t.chunkCounts[c]
		copy(t.rows[count:], t.rows[begin:begin+kept])
		count += kept
		left := min(begin+histBlockRows, n) - begin - kept
		copy(t.unsampled[t.numUnsampled:], t.unsampled[begin:begin+left])
		t.numUnsampled += left
		total.add(t.chunkSums[c])
	}
	return count, total
}

// logisticGradient returns XGBoost's gradient pair of the log loss at margin for label y
// and row weight w (1, or scale_pos_weight for positive rows): (p - y) w and
// max(p(1-p), 1e-16) w.
func logisticGradient(margin, y, w float32) gradPair {
	p := sigmoid(margin)
	g := p - y
	h := p * (1 - p)
	if h < 1e-16 {
		h = 1e-16
	}
	return gradPair{g * w, h * w}
}

// sampleFeatures draws the features of one tree (colsample_bytree) and lays out the node
// histograms for them.
func (t *trainer) sampleFeatures() {
	all := t.features[:0]
	for f := range t.data.cuts {
		all = append(all, f)
	}
	t.features = sampleColumns(t.rng, all, t.p.ColsampleByTree)

	for f := range t.histOffset {
		t.histOffset[f] = -1
	}
	t.histLen = 0
	for _, f := range t.features {
		t.histOffset[f] = t.histLen
		t.histLen += t.data.numBins(f) + 1
	}
}

// sampleColumns shuffles features and keeps the first max(1, int(fraction*len)) in
// ascending order, as XGBoost's ColumnSampler does. It reuses the array of features.
func sampleColumns(rng *rand.Rand, features []int, fraction float64) []int {
	if fraction >= 1 {
		return features
	}
	n := max(1, int(float32(fraction)*float32(len(features))))
	rng.Shuffle(len(features), func(i, j int) { features[i], features[j] = features[j], features[i] })
	features = features[:n]
	slices.Sort(features)
	return features
}

// rowSeed derives the row sampling seed of tree iter.
func rowSeed(seed int64, iter int) uint64 {
	return mix64(mix64(uint64(seed)) + uint64(iter)*0x9e3779b97f4a7c15)
}

// uniform returns a uniform number in [0, 1) for row r, a pure function of seed and r so
// that row sampling does not depend on how rows are split between goroutines.
func uniform(seed, r uint64) float64 {
	return float64(mix64(seed^(r*0xbf58476d1ce4e5b9))>>11) * 0x1p-53
}

// mix64 is the finalizer of SplitMix64, a bijective 64-bit hash.
func mix64(z uint64) uint64 {
	z += 0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}
