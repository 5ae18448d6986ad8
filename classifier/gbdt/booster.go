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

	// nodes holds the nodes of all trees in the layout used by prediction, and roots the
	// index of each tree's root in it.
	nodes []flatNode
	roots []int32
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

// flatNode is one tree node laid out for prediction. Leaves have left == -1 and carry their
// value in value; split nodes send a row left when its feature is below value.
type flatNode struct {
	value       float32
	feature     int32
	left, right int32
	defaultLeft bool
}

// compile builds the prediction layout from b.model. The model must be validated first.
func (b *Booster) compile() {
	total := 0
	for i := range b.model.trees {
		total += len(b.model.trees[i].leftChildren)
	}
	b.nodes = make([]flatNode, 0, total)
	b.roots = make([]int32, len(b.model.trees))

	for i := range b.model.trees {
		t := &b.model.trees[i]
		offset := int32(len(b.nodes))
		b.roots[i] = offset
		for n := range t.leftChildren {
			node := flatNode{value: t.splitConditions[n], left: -1, right: -1}
			if t.leftChildren[n] >= 0 {
				node.feature = t.splitIndices[n]
				node.left = offset + t.leftChildren[n]
				node.right = offset + t.rightChildren[n]
				node.defaultLeft = t.defaultLeft[n] != 0
			}
			b.nodes = append(b.nodes, node)
		}
	}
	b.baseMargin = probToMargin(b.model.baseScore)
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
