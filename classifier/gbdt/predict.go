package gbdt

import (
	"fmt"
	"math"
)

// predictBlockRows is the number of rows that prediction runs through one tree before it
// moves to the next tree, so that a tree's nodes stay in cache for the whole block.
const predictBlockRows = 64

// predictChunkRows is the number of rows one goroutine predicts at a time.
const predictChunkRows = 4096

// PredictProba writes the probability of the positive class for each row of x to out, using
// all cores. Each row holds the features in the order of FeatureNames, and NaN marks a
// missing value. A row shorter than the number of features has its missing columns treated
// as missing values, and extra columns are ignored. Only min(len(x), len(out)) rows are
// predicted. The result equals xgboost's Booster.predict for the same float32 input.
func (b *Booster) PredictProba(x [][]float64, out []float64) {
	n := min(len(x), len(out))
	parallelFor(numWorkers(0), n, predictChunkRows, func(begin, end int) {
		for i := begin; i < end; i += predictBlockRows {
			j := min(i+predictBlockRows, end)
			b.predictBlock(x[i:j], out[i:j])
		}
	})
}

// PredictProbaDense is PredictProba for a row-major matrix: row i is
// x[i*numCols : (i+1)*numCols]. It avoids the per-row slices of [][]float64 and returns an
// error wrapping ErrInvalidInput when the shapes disagree.
func (b *Booster) PredictProbaDense(x []float64, numCols int, out []float64) error {
	if numCols < 1 || len(x)%numCols != 0 {
		return fmt.Errorf("%w: %d values do not form rows of %d columns", ErrInvalidInput, len(x), numCols)
	}
	rows := len(x) / numCols
	if len(out) < rows {
		return fmt.Errorf("%w: out has %d entries for %d rows", ErrInvalidInput, len(out), rows)
	}

	parallelFor(numWorkers(0), rows, predictChunkRows, func(begin, end int) {
		var block [predictBlockRows][]float64
		for i := begin; i < end; i += predictBlockRows {
			j := min(i+predictBlockRows, end)
			for r := i; r < j; r++ {
				block[r-i] = x[r*numCols : (r+1)*numCols]
			}
			b.predictBlock(block[:j-i], out[i:j])
		}
	})
	return nil
}

// predictBlock predicts up to predictBlockRows rows. Each row's margin starts at the base
// margin and adds one leaf value per tree in tree order, in float32, as XGBoost's CPU
// predictor does.
func (b *Booster) predictBlock(rows [][]float64, out []float64) {
	var margin [predictBlockRows]float32
	for i := range rows {
		margin[i] = b.baseMargin
	}
	for _, root := range b.roots {
		for i, row := range rows {
			margin[i] += b.leafValue(root, row)
		}
	}
	for i := range rows {
		out[i] = float64(sigmoid(margin[i]))
	}
}

// leafValue walks one tree from root for row and returns the leaf value it reaches. Feature
// values are rounded to float32 first, because XGBoost stores its input as float32.
func (b *Booster) leafValue(root int32, row []float64) float32 {
	nodes := b.nodes
	i := root
	for {
		n := &nodes[i]
		if n.left < 0 {
			return n.value
		}
		v := float32(math.NaN())
		if int(n.feature) < len(row) {
			v = float32(row[n.feature])
		}
		switch {
		case v < n.value:
			i = n.left
		case v != v && n.defaultLeft:
			i = n.left
		default:
			i = n.right
		}
	}
}
