package gbdt

import "math"

// rtEps is XGBoost's kRtEps: a split must reduce the loss by more than this to be kept.
const rtEps = 1e-6

// gradPair is the first and second derivative of the log loss for one row, in float32 like
// XGBoost's GradientPair.
type gradPair struct {
	g, h float32
}

// gradSum is a sum of gradient pairs in float64, like XGBoost's GradStats and histogram bins.
type gradSum struct {
	g, h float64
}

func (s *gradSum) add(o gradSum) {
	s.g += o.g
	s.h += o.h
}

func (s gradSum) sub(o gradSum) gradSum {
	return gradSum{s.g - o.g, s.h - o.h}
}

// treeParams are the parameters of tree growth with the float32 precision that XGBoost's
// TrainParam keeps them in.
type treeParams struct {
	eta            float32
	lambda         float64
	alpha          float64
	minChildWeight float64
	gamma          float32
	maxDepth       int
	maxLeaves      int
	lossguide      bool
}

func newTreeParams(p Params) treeParams {
	return treeParams{
		eta:            float32(p.LearningRate),
		lambda:         float64(float32(p.RegLambda)),
		alpha:          float64(float32(p.RegAlpha)),
		minChildWeight: float64(float32(p.MinChildWeight)),
		gamma:          float32(p.Gamma),
		maxDepth:       p.MaxDepth,
		maxLeaves:      p.MaxLeaves,
		lossguide:      p.GrowPolicy == GrowLossguide,
	}
}

// thresholdL1 shrinks w towards zero by alpha, the soft thresholding of L1 regularization.
func thresholdL1(w, alpha float64) float64 {
	switch {
	case w > alpha:
		return w - alpha
	case w < -alpha:
		return w + alpha
	}
	return 0
}

// weight returns the optimal leaf weight -ThresholdL1(G, alpha) / (H + lambda), or 0 when
// the hessian sum is below min_child_weight (XGBoost's CalcWeight without max_delta_step).
func (p *treeParams) weight(s gradSum) float32 {
	if s.h < p.minChildWeight || s.h <= 0 {
		return 0
	}
	return float32(-thresholdL1(s.g, p.alpha) / (s.h + p.lambda))
}

// gain returns ThresholdL1(G, alpha)^2 / (H + lambda), the loss reduction of a node with
// gradient sums s against a node that predicts 0.
func (p *treeParams) gain(s gradSum) float32 {
	if s.h <= 0 {
		return 0
	}
	t := thresholdL1(s.g, p.alpha)
	return float32(t * t / (s.h + p.lambda))
}

// splitGain returns the loss change of splitting a node into left and right, computed in
// float32 in the order of XGBoost's EnumerateSplit.
func (p *treeParams) splitGain(left, right gradSum, rootGain float32) float32 {
	g := p.gain(left) + p.gain(right)
	return g - rootGain
}

// split is the best split found for a node. feature is 0 and lossChg 0 until a split with a
// positive loss change is found, as in XGBoost's SplitEntry.
type split struct {
	lossChg     float32
	feature     int
	nLeft       int
	defaultLeft bool
	threshold   float32
	left, right gradSum
}

// better reports whether a split on feature with loss change lossChg replaces s. Equal
// loss changes keep the split on the lower feature index, so the result does not depend on
// the order in which features are tried (XGBoost's SplitEntry::NeedReplace).
func (s *split) better(lossChg float32, feature int) bool {
	if math.IsInf(float64(lossChg), 0) {
		return false
	}
	if s.feature <= feature {
		return lossChg > s.lossChg
	}
	return !(s.lossChg > lossChg)
}

// update replaces s with c if c is better.
func (s *split) update(c split) {
	if s.better(c.lossChg, c.feature) {
		*s = c
	}
}

// bestSplit scans the histogram of one node for feature f and returns the best split.
// It first moves through the bins left to right with missing values going right. When the
// node has missing values of f, it also moves right to left with missing values going left,
// as XGBoost's hist evaluator does.
func (p *treeParams) bestSplit(hist []gradSum, d *binnedData, f int, parent gradSum, rootGain float32) split {
	nb := d.numBins(f)
	var best split

	var fwd split
	var leftSum gradSum
	for i := range nb {
		leftSum.add(hist[i])
		right := parent.sub(leftSum)
		if leftSum.h >= p.minChildWeight && right.h >= p.minChildWeight {
			lc := p.splitGain(leftSum, right, rootGain)
			if fwd.better(lc, f) {
				fwd = split{lossChg: lc, feature: f, nLeft: i + 1, threshold: d.threshold(f, i+1), left: leftSum, right: right}
			}
		}
	}
	best.update(fwd)
	if leftSum == parent {
		return best
	}

	var bwd split
	var rightSum gradSum
	for i := nb - 1; i >= 0; i-- {
		rightSum.add(hist[i])
		left := parent.sub(rightSum)
		if rightSum.h >= p.minChildWeight && left.h >= p.minChildWeight {
			lc := p.splitGain(left, rightSum, rootGain)
			if bwd.better(lc, f) {
				bwd = split{lossChg: lc, feature: f, nLeft: i, defaultLeft: true, threshold: d.threshold(f, i), left: left, right: rightSum}
			}
		}
	}
	best.update(bwd)
	return best
}
