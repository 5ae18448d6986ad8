// Package linear is an L2-regularized logistic regression on standardized features,
// fitted exactly by Newton's method. Inputs must not contain missing values.
package linear

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"

	"github.com/bankml/retire/classifier/internal/linalg"
)

// Format identifies the JSON encoding written by MarshalJSON.
const Format = "logistic-json/v1"

// Default hyperparameters.
const (
	// DefaultC is the inverse regularization strength, scikit-learn's default.
	DefaultC       = 1.0
	DefaultMaxIter = 100
	DefaultTol     = 1e-10
)

// ErrInvalid reports bad parameters, bad training data or a bad serialized model.
var ErrInvalid = errors.New("invalid logistic model")

// Params are the hyperparameters. The zero value means the defaults above.
type Params struct {
	// C is the inverse of the L2 penalty, as in scikit-learn: the loss is
	// sum(log loss) + ||w||^2 / (2C), with the intercept not penalized.
	C       float64 `json:"C" koanf:"c"`
	MaxIter int     `json:"max_iter" koanf:"max_iter"`
}

// Model is a fitted logistic regression.
type Model struct {
	Format   string   `json:"format"`
	Features []string `json:"features"`
	// Mean and Scale standardize each feature: z = (x - Mean) / Scale.
	Mean         []float64 `json:"mean"`
	Scale        []float64 `json:"scale"`
	Coefficients []float64 `json:"coefficients"`
	Intercept    float64   `json:"intercept"`
	Params       Params    `json:"params"`
}

// Fit trains on rows x (no NaN) and labels y (0 or 1).
func Fit(x [][]float64, y []float64, features []string, p Params) (*Model, error) {
	if p.C == 0 {
		p.C = DefaultC
	}
	if p.MaxIter == 0 {
		p.MaxIter = DefaultMaxIter
	}
	if p.C < 0 || math.IsNaN(p.C) || math.IsInf(p.C, 0) {
		return nil, fmt.Errorf("%w: C is %v, want a positive number", ErrInvalid, p.C)
	}
	if p.MaxIter < 0 {
		return nil, fmt.Errorf("%w: max_iter is %d, want a positive number", ErrInvalid, p.MaxIter)
	}
	if len(x) == 0 || len(x) != len(y) {
		return nil, fmt.Errorf("%w: %d rows and %d labels, want the same positive number", ErrInvalid, len(x), len(y))
	}
	k := len(features)
	for i, row := range x {
		if len(row) != k {
			return nil, fmt.Errorf("%w: row %d has %d values, want %d", ErrInvalid, i, len(row), k)
		}
		for j, v := range row {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("%w: row %d feature %q is %v: impute missing values first", ErrInvalid, i, features[j], v)
			}
		}
		if y[i] != 0 && y[i] != 1 {
			return nil, fmt.Errorf("%w: label of row %d is %v, want 0 or 1", ErrInvalid, i, y[i])
		}
	}

	m := &Model{Format: Format, Features: append([]string(nil), features...), Params: p}
	m.Mean, m.Scale = standardization(x, k)
	z := make([][]float64, len(x))
	for i, row := range x {
		z[i] = m.standardize(row, make([]float64, k))
	}
	w := newton(z, y, 1/p.C, p.MaxIter)
	m.Intercept = w[k]
	m.Coefficients = w[:k]
	return m, nil
}

// newton minimizes the penalized log loss over weights w (k coefficients, then the
// intercept) with Newton steps. The loss is strictly convex, so it converges in a few steps.
func newton(z [][]float64, y []float64, penalty float64, maxIter int) []float64 {
	k := len(z[0])
	w := make([]float64, k+1)
	grad := make([]float64, k+1)
	hess := make([][]float64, k+1)
	for a := range hess {
		hess[a] = make([]float64, k+1)
	}
	features := make([]float64, k+1)
	for range maxIter {
		for a := range grad {
			grad[a] = 0
			clear(hess[a])
		}
		for i, row := range z {
			copy(features, row)
			features[k] = 1
			p := sigmoid(dot(w, features))
			r := p - y[i]
			s := p * (1 - p)
			for a := range features {
				grad[a] += r * features[a]
				for b := range features {
					hess[a][b] += s * features[a] * features[b]
				}
			}
		}
		for a := range k {
			grad[a] += penalty * w[a]
			hess[a][a] += penalty
		}
		step, err := linalg.Solve(hess, grad)
		if err != nil {
			// Only saturated predictions on every row make the Hessian singular, and then w
			// already separates the classes as well as it can.
			break
		}
		size := 0.0
		for a := range w {
			w[a] -= step[a]
			size = math.Max(size, math.Abs(step[a]))
		}
		if size < DefaultTol {
			break
		}
	}
	return w
}

// PredictProba writes P(class 1) for each row of x into out. Rows must have no NaN.
func (m *Model) PredictProba(x [][]float64, out []float64) {
	z := make([]float64, len(m.Features))
	for i, row := range x {
		m.standardize(row, z)
		out[i] = sigmoid(dot(m.Coefficients, z) + m.Intercept)
	}
}

// Load decodes a model written by MarshalJSON and checks it against the expected features.
func Load(data []byte, features []string) (*Model, error) {
	var m Model
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	if m.Format != Format {
		return nil, fmt.Errorf("%w: format is %q, want %q", ErrInvalid, m.Format, Format)
	}
	k := len(m.Features)
	if len(m.Mean) != k || len(m.Scale) != k || len(m.Coefficients) != k {
		return nil, fmt.Errorf("%w: %d features but %d means, %d scales and %d coefficients",
			ErrInvalid, k, len(m.Mean), len(m.Scale), len(m.Coefficients))
	}
	if !equalStrings(m.Features, features) {
		return nil, fmt.Errorf("%w: model features %q do not match the metadata features %q", ErrInvalid, m.Features, features)
	}
	values := append(append(append([]float64{m.Intercept}, m.Mean...), m.Scale...), m.Coefficients...)
	for _, v := range values {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("%w: a parameter is %v, want finite numbers", ErrInvalid, v)
		}
	}
	for j, s := range m.Scale {
		if s <= 0 {
			return nil, fmt.Errorf("%w: scale of feature %q is %v, want a positive number", ErrInvalid, m.Features[j], s)
		}
	}
	return &m, nil
}

func (m *Model) standardize(row, z []float64) []float64 {
	for j, v := range row {
		z[j] = (v - m.Mean[j]) / m.Scale[j]
	}
	return z
}

func standardization(x [][]float64, k int) (mean, scale []float64) {
	mean = make([]float64, k)
	scale = make([]float64, k)
	n := float64(len(x))
	for _, row := range x {
		for j, v := range row {
			mean[j] += v / n
		}
	}
	for _, row := range x {
		for j, v := range row {
			scale[j] += (v - mean[j]) * (v - mean[j]) / n
		}
	}
	for j := range scale {
		scale[j] = math.Sqrt(scale[j])
		if scale[j] == 0 {
			scale[j] = 1
		}
	}
	return mean, scale
}

func sigmoid(v float64) float64 {
	if v >= 0 {
		return 1 / (1 + math.Exp(-v))
	}
	e := math.Exp(v)
	return e / (1 + e)
}

func dot(a, b []float64) float64 {
	var s float64
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
