// Package gbdt trains and runs gradient-boosted decision trees for binary classification with
// the algorithm and the JSON model format of XGBoost 1.7 (objective binary:logistic,
// tree_method hist).
//
// Models load from and save to the JSON that xgboost.Booster.save_model writes, and
// prediction repeats XGBoost's float32 arithmetic, so a model gives the same probabilities
// here and in Python. See https://xgboost.readthedocs.io/en/release_1.7.0/tutorials/saving_model.html
// for the format and https://xgboost.readthedocs.io/en/release_1.7.0/parameter.html for the
// parameters.
package gbdt

import (
	"math"
	"slices"
)

// Booster is a trained ensemble of regression trees whose summed leaf values are the log-odds
// of the positive class. It is safe for concurrent use once built.
type Booster struct {
	model model

	// nodes contains the nodes of all trees in the flat layout used by prediction. For each
	// node, features has the feature of a split and leafValues the value of a leaf (0 for
	// the other kind). roots has the index of each tree's root and depths its depth.
	nodes      []flatNode
	features   []int32
	leafValues []float32
	roots      []int32
	depths     []int32

	// complete locates each tree in the complete layout of predictBlock, whose split slots
	// are in completeSplits and leaf slots in completeLeaves.
	complete       []completeTree
	completeSplits []completeSplit
	completeLeaves []float32
	// baseMargin is the log-odds of model.baseScore, computed in float32 as XGBoost does.
	baseMargin float32
}

// FeatureNames returns a copy of the model's feature names, in the column order that
// PredictProba expects. Models saved from an unnamed numpy array have none.
func (b *Booster) FeatureNames() []string {
	return slices.Clone(b.model.featureNames)
}

// NumFeatures returns the number of input columns the model reads.
func (b *Booster) NumFeatures() int {
	return b.model.numFeature
}

// NumTrees returns the number of trees in the model.
func (b *Booster) NumTrees() int {
	return len(b.model.trees)
}

// flatNode is one tree node laid out for prediction. The children of a split node are
// adjacent, left at left and right at left+1, so the next node is left plus a step of 0 or 1
// computed without branches. A leaf points to itself with steps of 0, so a walk that has
// reached a leaf stays there.
type flatNode struct {
	// threshold sends a row left when its feature value is below it.
	threshold float32
	// blockOffset is the index of the node's feature for row 0 in predictBlock's values.
	// It points into the half where missing values read as -Inf when the node sends them
	// left, or as +Inf when it sends them right, so one comparison with threshold decides.
	blockOffset int32
	left        int32
	// rightStep is 1 for a split node and 0 for a leaf; missingStep is the step for a
	// missing value: 0 when it goes left.
	rightStep   uint16
	missingStep uint16
}

// compile builds the prediction layout from b.model, which must be validated. Each tree is
// renumbered in breadth-first order so that sibling nodes are adjacent.
func (b *Booster) compile() {
	total := 0
	for i := range b.model.trees {
		total += b.model.trees[i].numNodes()
	}
	b.nodes = make([]flatNode, 0, total)
	b.features = make([]int32, 0, total)
	b.leafValues = make([]float32, 0, total)
	b.roots = make([]int32, len(b.model.trees))
	b.depths = make([]int32, len(b.model.trees))

	var queue, depth []int32
	for i := range b.model.trees {
		t := &b.model.trees[i]
		offset := int32(len(b.nodes))
		b.roots[i] = offset

		// queue lists the tree's node ids in breadth-first order; a node's position in it is
		// its index in the flat layout, relative to offset.
		queue = append(queue[:0], 0)
		depth = append(depth[:0], 0)
		for pos := 0; pos < len(queue); pos++ {
			n := queue[pos]
			node := flatNode{left: offset + int32(pos)}
			var value float32
			var feature int32
			if l := t.leftChildren[n]; l >= 0 {
				feature = t.splitIndices[n]
				node = flatNode{
					threshold:   t.splitConditions[n],
					blockOffset: feature * predictBlockRows,
					left:        offset + int32(len(queue)),
					rightStep:   1,
				}
				if t.defaultLeft[n] == 0 {
					node.missingStep = 1
				} else {
					node.blockOffset += missingLeftHalf
				}
				queue = append(queue, l, t.rightChildren[n])
				depth = append(depth, depth[pos]+1, depth[pos]+1)
				b.depths[i] = max(b.depths[i], depth[pos]+1)
			} else {
				value = t.splitConditions[n]
			}
			b.nodes = append(b.nodes, node)
			b.features = append(b.features, feature)
			b.leafValues = append(b.leafValues, value)
		}
	}
	b.buildComplete()
	b.baseMargin = probToMargin(b.model.baseScore)
}

// maxCompleteDepth is the deepest tree that gets a complete layout: 2^8-1 split slots and
// 2^8 leaf slots. Deeper trees are walked in the flat layout.
const maxCompleteDepth = 8

// completeSplit is a split slot of the complete layout: a row goes left when the value at
// blockOffset (see flatNode) is below threshold.
type completeSplit struct {
	threshold   float32
	blockOffset int32
}

// completeTree locates a tree in the complete layout, or has depth -1 when the tree is
// too deep for it.
type completeTree struct {
	depth     int32
	splitBase int32
	leafBase  int32
}

// buildComplete lays out every tree of depth <= maxCompleteDepth as a complete binary tree
// of its depth, with the children of slot p at 2p+1 and 2p+2, so a walk needs no child
// pointers. A leaf above the last level continues as slots whose threshold is NaN, which
// every value fails, so the walk goes right down to a copy of the leaf value.
func (b *Booster) buildComplete() {
	b.complete = make([]completeTree, len(b.roots))
	b.completeSplits = b.completeSplits[:0]
	b.completeLeaves = b.completeLeaves[:0]
	nan := float32(math.NaN())
	for t, root := range b.roots {
		d := b.depths[t]
		if d > maxCompleteDepth {
			b.complete[t] = completeTree{depth: -1}
			continue
		}
		ct := completeTree{depth: d, splitBase: int32(len(b.completeSplits)), leafBase: int32(len(b.completeLeaves))}
		b.complete[t] = ct
		splits := 1<<d - 1
		for range splits {
			b.completeSplits = append(b.completeSplits, completeSplit{threshold: nan})
		}
		for range 1 << d {
			b.completeLeaves = append(b.completeLeaves, 0)
		}
		b.placeComplete(ct, root, 0, int32(splits))
	}
}

// placeComplete writes flat node n at slot p of the complete tree ct with splits split
// slots.
func (b *Booster) placeComplete(ct completeTree, n, p, splits int32) {
	if p >= splits {
		b.completeLeaves[ct.leafBase+p-splits] = b.leafValues[n]
		return
	}
	node := &b.nodes[n]
	if node.rightStep == 0 {
		b.placeComplete(ct, n, 2*p+2, splits)
		return
	}
	b.completeSplits[ct.splitBase+p] = completeSplit{threshold: node.threshold, blockOffset: node.blockOffset}
	b.placeComplete(ct, node.left, 2*p+1, splits)
	b.placeComplete(ct, node.left+1, 2*p+2, splits)
}

// probToMargin is XGBoost's ProbToMargin for logistic loss, -log(1/p - 1) in float32.
func probToMargin(p float32) float32 {
	return float32(-math.Log(float64(float32(1)/p - 1)))
}

// sigmoid is XGBoost's float32 logistic function 1 / (1 + exp(-x)), rounding after each
// operation like the C++ code does.
func sigmoid(x float32) float32 {
	e := float32(math.Exp(float64(-x)))
	return 1 / (1 + e)
}
