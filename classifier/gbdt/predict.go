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
// all cores. Each row contains the features in the order of FeatureNames, and NaN marks a
// missing value. A row shorter than the number of features has its missing columns treated
// as missing values, and extra columns are ignored. Only min(len(x), len(out)) rows are
// predicted. The result equals xgboost's Booster.predict for the same float32 input.
func (b *Booster) PredictProba(x [][]float64, out []float64) {
	n := min(len(x), len(out))
	parallelFor(numWorkers(0), n, predictChunkRows, func(begin, end int) {
		s := new(blockScratch)
		for i := begin; i < end; i += predictBlockRows {
			j := min(i+predictBlockRows, end)
			b.predictBlock(s, x[i:j], out[i:j])
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
		s := new(blockScratch)
		for i := begin; i < end; i += predictBlockRows {
			j := min(i+predictBlockRows, end)
			for r := i; r < j; r++ {
				block[r-i] = x[r*numCols : (r+1)*numCols]
			}
			b.predictBlock(s, block[:j-i], out[i:j])
		}
	})
	return nil
}

// predictBlock predicts up to predictBlockRows rows. Each row's margin starts at the base
// margin and adds one leaf value per tree in tree order, in float32, as XGBoost's CPU
// predictor does. The rows walk a tree together, one level at a time, so that the walks of
// different rows overlap in the processor.
func (b *Booster) predictBlock(s *blockScratch, rows [][]float64, out []float64) {
	nf := b.model.numFeature
	if nf > maxBlockFeatures {
		b.predictRows(rows, out)
		return
	}

	// values contains the block's features as float32, column by column, twice: missing values
	// read as +Inf in the first half, for nodes that send them right, and as -Inf in the
	// second half, for nodes that send them left. Thresholds are finite, so v < threshold
	// then follows the default direction for missing values and is exact for the others.
	values, margin, pos := &s.values, &s.margin, &s.pos
	n := len(rows)
	for r, row := range rows {
		for f := range nf {
			v := float32(math.NaN())
			if f < len(row) {
				v = float32(row[f])
			}
			right, left := v, v
			if v != v {
				right, left = float32(math.Inf(1)), float32(math.Inf(-1))
			}
			values[f*predictBlockRows+r] = right
			values[missingLeftHalf+f*predictBlockRows+r] = left
		}
		margin[r] = b.baseMargin
	}

	nodes := b.nodes
	for t, root := range b.roots {
		if ct := b.complete[t]; ct.depth >= 0 {
			b.walkComplete(ct, values, pos, margin, n)
			continue
		}
		for r := range n {
			pos[r] = root
		}
		for range b.depths[t] {
			for r := range n {
				node := &nodes[pos[r]]
				step := node.rightStep
				if values[int(node.blockOffset)+r] < node.threshold {
					step = 0
				}
				pos[r] = node.left + int32(step)
			}
		}
		for r := range n {
			margin[r] += b.leafValues[pos[r]]
		}
	}
	for r := range n {
		out[r] = float64(sigmoid(margin[r]))
	}
}

// walkComplete adds the leaf value of tree ct to the margin of each of the n rows of the
// block. The first two levels need no stored positions because every row starts at the
// root.
func (b *Booster) walkComplete(ct completeTree, values *[2 * predictBlockRows * maxBlockFeatures]float32, pos *[predictBlockRows]int32, margin *[predictBlockRows]float32, n int) {
	splits := b.completeSplits[ct.splitBase:]
	if ct.depth == 0 {
		for r := range n {
			margin[r] += b.completeLeaves[ct.leafBase]
		}
		return
	}

	root := splits[0]
	if ct.depth == 1 {
		for r := range n {
			next := int32(2)
			if values[int(root.blockOffset)+r] < root.threshold {
				next = 1
			}
			pos[r] = next
		}
	} else {
		// The first two levels are walked together: the root's children are the only
		// nodes of the second level, so picking one needs no load.
		left, right := splits[1], splits[2]
		for r := range n {
			child, next := right, int32(6)
			if values[int(root.blockOffset)+r] < root.threshold {
				child, next = left, 4
			}
			if values[int(child.blockOffset)+r] < child.threshold {
				next--
			}
			pos[r] = next
		}
	}
	for range ct.depth - 2 {
		for r := range n {
			p := pos[r]
			s := &splits[p]
			next := 2*p + 2
			if values[int(s.blockOffset)+r] < s.threshold {
				next = 2*p + 1
			}
			pos[r] = next
		}
	}

	leaves := b.completeLeaves[ct.leafBase:]
	numSplits := int32(1)<<ct.depth - 1
	for r := range n {
		margin[r] += leaves[pos[r]-numSplits]
	}
}

// blockScratch is the working memory of predictBlock, kept by the caller across blocks so
// that it is not cleared for every block.
type blockScratch struct {
	values [2 * predictBlockRows * maxBlockFeatures]float32
	margin [predictBlockRows]float32
	pos    [predictBlockRows]int32
}

// maxBlockFeatures is the largest number of features that predictBlock copies into its
// float32 block; wider models use predictRows.
const maxBlockFeatures = 64

// missingLeftHalf is the offset of the second half of predictBlock's values.
const missingLeftHalf = predictBlockRows * maxBlockFeatures

// predictRows predicts row by row, reading each feature where a node needs it.
func (b *Booster) predictRows(rows [][]float64, out []float64) {
	for r, row := range rows {
		margin := b.baseMargin
		for t, root := range b.roots {
			i := root
			for range b.depths[t] {
				node := &b.nodes[i]
				v := float32(math.NaN())
				if f := b.features[i]; int(f) < len(row) {
					v = float32(row[f])
				}
				step := node.rightStep
				if v < node.threshold {
					step = 0
				}
				if v != v {
					step = node.missingStep
				}
				i = node.left + int32(step)
			}
			margin += b.leafValues[i]
		}
		out[r] = float64(sigmoid(margin))
	}
}
