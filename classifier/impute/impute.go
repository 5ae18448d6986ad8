// Package impute fills missing values (NaN) in feature rows before a model that cannot take
// them. A fitted Imputer is plain data, so it serializes to JSON and replays exactly.
package impute

import (
	"errors"
	"fmt"
	"math"
	"slices"
)

// Strategies accepted by Fit.
const (
	// None leaves missing values in place, for models that handle them natively.
	None = "none"
	// Median replaces a missing value by the median of the feature in the training data.
	Median = "median"
	// Iterative starts from the feature means and then, for a number of rounds, predicts
	// each feature with missing values from the other features by ridge regression, as
	// scikit-learn's IterativeImputer does (which uses BayesianRidge in place of ridge).
	Iterative = "iterative"
)

// Defaults of Options.
const (
	DefaultMaxRounds = 10
	DefaultTolerance = 1e-3
	// DefaultRidge is the L2 penalty of each regression, on standardized features.
	DefaultRidge = 1e-3
)

// ErrInvalid reports bad options, bad training data or a bad serialized imputer.
var ErrInvalid = errors.New("invalid imputer")

// Options tunes Fit. The zero value means the defaults above.
type Options struct {
	MaxRounds int     `json:"max_rounds" koanf:"max_rounds"`
	Tolerance float64 `json:"tolerance" koanf:"tolerance"`
	Ridge     float64 `json:"ridge" koanf:"ridge"`
}

// Imputer is a fitted imputation step.
type Imputer struct {
	Strategy string `json:"strategy"`
	// Fill is the first value written into a missing cell of each feature: the median for
	// Median and the mean for Iterative.
	Fill []float64 `json:"fill,omitempty"`
	// Min and Max bound the values Iterative writes to the range seen in training.
	Min []float64 `json:"min,omitempty"`
	Max []float64 `json:"max,omitempty"`
	// Rounds holds, for each iterative round, the regressions fitted in that round in the
	// order they are applied.
	Rounds [][]Regression `json:"rounds,omitempty"`
}

// Regression predicts feature Target as Intercept + sum of Coefficients[j] * x[j] over the
// other features (the coefficient of Target itself is 0).
type Regression struct {
	Target       int       `json:"target"`
	Intercept    float64   `json:"intercept"`
	Coefficients []float64 `json:"coefficients"`
}

// Fit learns an imputer for the rows x, whose cells may be NaN. Every feature needs at
// least one observed value.
func Fit(x [][]float64, strategy string, opts Options) (*Imputer, error) {
	if opts.MaxRounds == 0 {
		opts.MaxRounds = DefaultMaxRounds
	}
	if opts.Tolerance == 0 {
		opts.Tolerance = DefaultTolerance
	}
	if opts.Ridge == 0 {
		opts.Ridge = DefaultRidge
	}
	if opts.MaxRounds < 0 || opts.Tolerance < 0 || opts.Ridge < 0 {
		return nil, fmt.Errorf("%w: max rounds, tolerance and ridge must not be negative", ErrInvalid)
	}
	if len(x) == 0 {
		return nil, fmt.Errorf("%w: no rows to fit on", ErrInvalid)
	}
	cols := len(x[0])

	switch strategy {
	case None:
		return &Imputer{Strategy: None}, nil
	case Median:
		imp := &Imputer{Strategy: Median, Fill: make([]float64, cols)}
		for j := range cols {
			values := observed(x, j)
			if len(values) == 0 {
				return nil, fmt.Errorf("%w: feature %d has no observed value", ErrInvalid, j)
			}
			imp.Fill[j] = median(values)
		}
		return imp, nil
	case Iterative:
		return fitIterative(x, cols, opts)
	default:
		return nil, fmt.Errorf("%w: unknown strategy %q: use %q, %q or %q", ErrInvalid, strategy, None, Median, Iterative)
	}
}

func fitIterative(x [][]float64, cols int, opts Options) (*Imputer, error) {
	imp := &Imputer{
		Strategy: Iterative,
		Fill:     make([]float64, cols),
		Min:      make([]float64, cols),
		Max:      make([]float64, cols),
	}
	missingCount := make([]int, cols)
	for j := range cols {
		values := observed(x, j)
		if len(values) == 0 {
			return nil, fmt.Errorf("%w: feature %d has no observed value", ErrInvalid, j)
		}
		missingCount[j] = len(x) - len(values)
		imp.Fill[j] = mean(values)
		imp.Min[j] = slices.Min(values)
		imp.Max[j] = slices.Max(values)
	}

	// Features are imputed in ascending order of missing count, scikit-learn's default order.
	var order []int
	for j := range cols {
		if missingCount[j] > 0 {
			order = append(order, j)
		}
	}
	slices.SortStableFunc(order, func(a, b int) int { return missingCount[a] - missingCount[b] })
	if len(order) == 0 || cols < 2 {
		// Nothing to regress: the mean fill alone is the model.
		return imp, nil
	}

	filled := make([][]float64, len(x))
	for i, row := range x {
		filled[i] = slices.Clone(row)
		imp.fillInitial(filled[i])
	}
	maxAbs := 0.0
	for _, row := range filled {
		for _, v := range row {
			maxAbs = math.Max(maxAbs, math.Abs(v))
		}
	}

	for range opts.MaxRounds {
		var round []Regression
		change := 0.0
		for _, target := range order {
			reg := fitRidge(filled, x, target, opts.Ridge)
			round = append(round, reg)
			for i, row := range x {
				if !math.IsNaN(row[target]) {
					continue
				}
				v := imp.clip(target, reg.predict(filled[i]))
				change = math.Max(change, math.Abs(v-filled[i][target]))
				filled[i][target] = v
			}
		}
		imp.Rounds = append(imp.Rounds, round)
		// The same stopping rule as scikit-learn: the largest change relative to the largest value.
		if maxAbs > 0 && change/maxAbs < opts.Tolerance {
			break
		}
	}
	return imp, nil
}

// Transform fills the missing cells of row in place. It returns ErrInvalid when the row
// width does not match the fitted imputer.
func (imp *Imputer) Transform(row []float64) error {
	if imp.Strategy == None {
		return nil
	}
	if len(row) != len(imp.Fill) {
		return fmt.Errorf("%w: row has %d features, imputer was fitted on %d", ErrInvalid, len(row), len(imp.Fill))
	}
	var missing []int
	for j, v := range row {
		if math.IsNaN(v) {
			missing = append(missing, j)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	imp.fillInitial(row)
	for _, round := range imp.Rounds {
		for _, reg := range round {
			if slices.Contains(missing, reg.Target) {
				row[reg.Target] = imp.clip(reg.Target, reg.predict(row))
			}
		}
	}
	return nil
}

// Validate checks a deserialized imputer for the given number of features.
func (imp *Imputer) Validate(cols int) error {
	switch imp.Strategy {
	case None:
		return nil
	case Median, Iterative:
	default:
		return fmt.Errorf("%w: unknown strategy %q", ErrInvalid, imp.Strategy)
	}
	if len(imp.Fill) != cols {
		return fmt.Errorf("%w: fill has %d values for %d features", ErrInvalid, len(imp.Fill), cols)
	}
	if imp.Strategy == Median {
		return checkFinite("fill", imp.Fill)
	}
	if len(imp.Min) != cols || len(imp.Max) != cols {
		return fmt.Errorf("%w: min and max need %d values each", ErrInvalid, cols)
	}
	for _, field := range []struct {
		name   string
		values []float64
	}{{"fill", imp.Fill}, {"min", imp.Min}, {"max", imp.Max}} {
		if err := checkFinite(field.name, field.values); err != nil {
			return err
		}
	}
	for r, round := range imp.Rounds {
		for _, reg := range round {
			if reg.Target < 0 || reg.Target >= cols || len(reg.Coefficients) != cols {
				return fmt.Errorf("%w: round %d has a regression for feature %d with %d coefficients, want a feature below %d and %d coefficients",
					ErrInvalid, r, reg.Target, len(reg.Coefficients), cols, cols)
			}
			if err := checkFinite("coefficients", append([]float64{reg.Intercept}, reg.Coefficients...)); err != nil {
				return err
			}
		}
	}
	return nil
}

func checkFinite(name string, values []float64) error {
	for i, v := range values {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("%w: %s[%d] is %v, want a finite number", ErrInvalid, name, i, v)
		}
	}
	return nil
}

func (imp *Imputer) fillInitial(row []float64) {
	for j, v := range row {
		if math.IsNaN(v) {
			row[j] = imp.Fill[j]
		}
	}
}

func (imp *Imputer) clip(j int, v float64) float64 {
	return math.Min(math.Max(v, imp.Min[j]), imp.Max[j])
}

func (r Regression) predict(row []float64) float64 {
	v := r.Intercept
	for j, c := range r.Coefficients {
		if j != r.Target {
			v += c * row[j]
		}
	}
	return v
}
