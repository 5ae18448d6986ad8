package gbdt

import (
	"fmt"
	"math"
)

// Growth policies accepted in Params.GrowPolicy, with XGBoost's names.
const (
	// GrowDepthwise splits every node of one depth before the next depth.
	GrowDepthwise = "depthwise"
	// GrowLossguide always splits the leaf with the largest loss reduction next.
	GrowLossguide = "lossguide"
)

// maxBinLimit is the largest Params.MaxBin, because bin indices are stored as uint16 with one
// value kept for missing cells. XGBoost itself accepts larger values.
const maxBinLimit = 65535

// Params are the hyperparameters of Train. Names and meanings follow XGBoost 1.7 with
// objective binary:logistic and tree_method hist; the json and koanf tags are the snake_case
// names of XGBoost's scikit-learn interface. Start from DefaultParams: the zero value is not
// valid because NEstimators and MaxBin would be 0.
type Params struct {
	// NEstimators is the number of boosting rounds, one tree each.
	NEstimators int `json:"n_estimators" koanf:"n_estimators"`
	// LearningRate (eta) scales every leaf value.
	LearningRate float64 `json:"learning_rate" koanf:"learning_rate"`
	// MaxDepth limits the depth of a tree; 0 means no limit.
	MaxDepth int `json:"max_depth" koanf:"max_depth"`
	// MaxLeaves limits the leaves of a tree; 0 means no limit.
	MaxLeaves int `json:"max_leaves" koanf:"max_leaves"`
	// GrowPolicy is GrowDepthwise or GrowLossguide.
	GrowPolicy string `json:"grow_policy" koanf:"grow_policy"`
	// MinChildWeight is the minimum sum of hessians in each child of a split.
	MinChildWeight float64 `json:"min_child_weight" koanf:"min_child_weight"`
	// Gamma (min_split_loss) is the minimum loss reduction that a split must reach.
	Gamma float64 `json:"gamma" koanf:"gamma"`
	// RegLambda is the L2 penalty on leaf weights.
	RegLambda float64 `json:"reg_lambda" koanf:"reg_lambda"`
	// RegAlpha is the L1 penalty on leaf weights.
	RegAlpha float64 `json:"reg_alpha" koanf:"reg_alpha"`
	// Subsample is the probability that a row takes part in one tree.
	Subsample float64 `json:"subsample" koanf:"subsample"`
	// ColsampleByTree is the fraction of features drawn for each tree.
	ColsampleByTree float64 `json:"colsample_bytree" koanf:"colsample_bytree"`
	// ColsampleByNode is the fraction of the tree's features drawn for each split.
	ColsampleByNode float64 `json:"colsample_bynode" koanf:"colsample_bynode"`
	// MaxBin is the maximum number of histogram bins per feature.
	MaxBin int `json:"max_bin" koanf:"max_bin"`
	// BaseScore is the initial probability of every row, stored in the model.
	BaseScore float64 `json:"base_score" koanf:"base_score"`
	// ScalePosWeight multiplies the gradient and hessian of positive rows.
	ScalePosWeight float64 `json:"scale_pos_weight" koanf:"scale_pos_weight"`
	// Seed drives row and column sampling.
	Seed int64 `json:"seed" koanf:"seed"`
	// NumThreads is the number of goroutines used by Train; 0 means runtime.GOMAXPROCS.
	// The trained model does not depend on it.
	NumThreads int `json:"nthread" koanf:"nthread"`
}

// DefaultParams returns the defaults of XGBoost 1.7's XGBClassifier for binary:logistic with
// tree_method hist.
func DefaultParams() Params {
	return Params{
		NEstimators:     100,
		LearningRate:    0.3,
		MaxDepth:        6,
		MaxLeaves:       0,
		GrowPolicy:      GrowDepthwise,
		MinChildWeight:  1,
		Gamma:           0,
		RegLambda:       1,
		RegAlpha:        0,
		Subsample:       1,
		ColsampleByTree: 1,
		ColsampleByNode: 1,
		MaxBin:          256,
		BaseScore:       0.5,
		ScalePosWeight:  1,
		Seed:            0,
		NumThreads:      0,
	}
}

// Validate checks every parameter against the range XGBoost 1.7 accepts and returns an
// ErrInvalidParam error that names the first bad parameter and its allowed range.
func (p Params) Validate() error {
	// Load reads at most MaxTrees trees, so Train never writes more.
	if p.NEstimators < 1 || p.NEstimators > MaxTrees {
		return paramError("n_estimators", p.NEstimators, fmt.Sprintf("an integer in [1, %d]", MaxTrees))
	}
	if p.MaxDepth < 0 {
		return paramError("max_depth", p.MaxDepth, "an integer >= 0 (0 means no limit)")
	}
	if p.MaxLeaves < 0 {
		return paramError("max_leaves", p.MaxLeaves, "an integer >= 0 (0 means no limit)")
	}
	if p.GrowPolicy != GrowDepthwise && p.GrowPolicy != GrowLossguide {
		return paramError("grow_policy", fmt.Sprintf("%q", p.GrowPolicy), `"depthwise" or "lossguide"`)
	}
	if p.MaxBin < 2 || p.MaxBin > maxBinLimit {
		return paramError("max_bin", p.MaxBin, fmt.Sprintf("an integer in [2, %d]", maxBinLimit))
	}
	if p.NumThreads < 0 {
		return paramError("nthread", p.NumThreads, "an integer >= 0 (0 means all cores)")
	}

	for _, c := range p.floatChecks() {
		if err := c.check(); err != nil {
			return err
		}
	}
	return nil
}

// floatCheck is the allowed range of one float parameter.
type floatCheck struct {
	name     string
	value    float64
	min, max float64
	// openMin and openMax exclude the bound itself.
	openMin, openMax bool
}

func (p Params) floatChecks() []floatCheck {
	inf := math.Inf(1)
	return []floatCheck{
		{name: "learning_rate", value: p.LearningRate, min: 0, max: inf},
		{name: "min_child_weight", value: p.MinChildWeight, min: 0, max: inf},
		{name: "gamma", value: p.Gamma, min: 0, max: inf},
		{name: "reg_lambda", value: p.RegLambda, min: 0, max: inf},
		{name: "reg_alpha", value: p.RegAlpha, min: 0, max: inf},
		{name: "subsample", value: p.Subsample, min: 0, max: 1, openMin: true},
		{name: "colsample_bytree", value: p.ColsampleByTree, min: 0, max: 1, openMin: true},
		{name: "colsample_bynode", value: p.ColsampleByNode, min: 0, max: 1, openMin: true},
		{name: "base_score", value: p.BaseScore, min: 0, max: 1, openMin: true, openMax: true},
		{name: "scale_pos_weight", value: p.ScalePosWeight, min: 0, max: inf, openMin: true},
	}
}

// check also rejects NaN and infinity, and values that overflow float32, the type XGBoost
// keeps these parameters in.
func (c floatCheck) check() error {
	v := c.value
	ok := !math.IsNaN(v) && !math.IsInf(v, 0) && math.Abs(v) <= math.MaxFloat32
	if c.openMin {
		ok = ok && v > c.min
	} else {
		ok = ok && v >= c.min
	}
	if c.openMax {
		ok = ok && v < c.max
	} else {
		ok = ok && v <= c.max
	}
	if ok {
		return nil
	}

	lo, hi := "[", "]"
	if c.openMin {
		lo = "("
	}
	if c.openMax || math.IsInf(c.max, 1) {
		hi = ")"
	}
	upper := fmt.Sprint(c.max)
	if math.IsInf(c.max, 1) {
		upper = "inf"
	}
	return paramError(c.name, v, fmt.Sprintf("a finite number in %s%v, %s%s", lo, c.min, upper, hi))
}

func paramError(name string, value any, allowed string) error {
	return fmt.Errorf("%w: %s = %v, must be %s", ErrInvalidParam, name, value, allowed)
}
