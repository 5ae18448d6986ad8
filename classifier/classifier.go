// Package classifier is the retirement classifier: an optional imputation step followed by
// a logistic regression or gradient-boosted trees. It fits, predicts and (de)serializes
// models and does no I/O; callers read and write the bytes.
package classifier

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/bankml/retire/classifier/gbdt"
	"github.com/bankml/retire/classifier/impute"
	"github.com/bankml/retire/classifier/linear"
)

// Model types, the values of Spec.Type.
const (
	TypeLogistic = "logistic"
	TypeGBDT     = "gbdt"
)

// Weight formats, the encodings of the weights file.
const (
	FormatLogistic = linear.Format
	// FormatXGBoost is the JSON that xgboost's Booster.save_model writes (xgboost 1.7 and later).
	FormatXGBoost = "xgboost-json"
)

// ErrInvalid reports a bad spec, bad training data or a model that cannot be loaded.
var ErrInvalid = errors.New("invalid model")

// Model predicts P(class 1) for rows of features in the pipeline's order.
type Model interface {
	PredictProba(x [][]float64, out []float64)
}

// Spec says which pipeline to fit. Its zero value is not valid: set Type and Imputation.
type Spec struct {
	// Type is TypeLogistic or TypeGBDT.
	Type string `json:"type" koanf:"type"`
	// Imputation is impute.None, impute.Median or impute.Iterative.
	Imputation string         `json:"imputation" koanf:"imputation"`
	Logistic   linear.Params  `json:"logistic" koanf:"logistic"`
	GBDT       gbdt.Params    `json:"gbdt" koanf:"gbdt"`
	Impute     impute.Options `json:"impute" koanf:"impute"`
}

// Pipeline is a fitted imputation step and model.
type Pipeline struct {
	Type     string
	Format   string
	Features []string
	Imputer  *impute.Imputer
	Model    Model
}

// preprocessing is the JSON of the steps before the model, stored in the model metadata.
type preprocessing struct {
	Imputation *impute.Imputer `json:"imputation"`
}

// Fit trains a pipeline on rows x (NaN marks a missing value) and labels y (0 or 1).
func Fit(x [][]float64, y []float64, features []string, spec Spec) (*Pipeline, error) {
	if spec.Type == TypeLogistic && spec.Imputation == impute.None {
		return nil, fmt.Errorf("%w: a logistic model cannot take missing values: set imputation to %q or %q",
			ErrInvalid, impute.Median, impute.Iterative)
	}
	imputer, err := impute.Fit(x, spec.Imputation, spec.Impute)
	if err != nil {
		return nil, fmt.Errorf("%w: imputation: %w", ErrInvalid, err)
	}
	filled := x
	if imputer.Strategy != impute.None {
		filled = make([][]float64, len(x))
		for i, row := range x {
			filled[i] = append([]float64(nil), row...)
			if err := imputer.Transform(filled[i]); err != nil {
				return nil, fmt.Errorf("%w: imputation of row %d: %w", ErrInvalid, i, err)
			}
		}
	}

	p := &Pipeline{Type: spec.Type, Features: append([]string(nil), features...), Imputer: imputer}
	switch spec.Type {
	case TypeLogistic:
		p.Format = FormatLogistic
		p.Model, err = linear.Fit(filled, y, features, spec.Logistic)
	case TypeGBDT:
		p.Format = FormatXGBoost
		p.Model, err = gbdt.Train(filled, y, features, spec.GBDT)
	default:
		return nil, fmt.Errorf("%w: model type %q: use %q or %q", ErrInvalid, spec.Type, TypeLogistic, TypeGBDT)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrInvalid, spec.Type, err)
	}
	return p, nil
}

// PredictProba returns P(class 1) for each row. Rows keep their values: imputation works
// on copies. It returns ErrInvalid for a row of the wrong width.
func (p *Pipeline) PredictProba(x [][]float64) ([]float64, error) {
	rows := x
	needsCopy := p.Imputer != nil && p.Imputer.Strategy != impute.None
	if needsCopy {
		rows = make([][]float64, len(x))
	}
	for i, row := range x {
		if len(row) != len(p.Features) {
			return nil, fmt.Errorf("%w: row %d has %d values, want %d (%v)", ErrInvalid, i, len(row), len(p.Features), p.Features)
		}
		if needsCopy {
			rows[i] = append([]float64(nil), row...)
			if err := p.Imputer.Transform(rows[i]); err != nil {
				return nil, fmt.Errorf("%w: row %d: %w", ErrInvalid, i, err)
			}
		}
	}
	out := make([]float64, len(x))
	p.Model.PredictProba(rows, out)
	return out, nil
}

// MarshalWeights encodes the model in its weights format.
func (p *Pipeline) MarshalWeights() ([]byte, error) {
	switch m := p.Model.(type) {
	case *linear.Model:
		return json.MarshalIndent(m, "", "  ")
	case *gbdt.Booster:
		return m.MarshalJSON()
	default:
		return nil, fmt.Errorf("%w: no weights format for %T", ErrInvalid, p.Model)
	}
}

// MarshalPreprocessing encodes the steps before the model.
func (p *Pipeline) MarshalPreprocessing() (json.RawMessage, error) {
	imputer := p.Imputer
	if imputer == nil {
		imputer = &impute.Imputer{Strategy: impute.None}
	}
	return json.Marshal(preprocessing{Imputation: imputer})
}

// Load decodes a pipeline from its weights file, the preprocessing JSON and the feature
// names the metadata lists. It rejects a model whose features differ from those names.
func Load(format string, weights []byte, preprocessingJSON json.RawMessage, features []string) (*Pipeline, error) {
	var pre preprocessing
	if len(preprocessingJSON) > 0 {
		if err := json.Unmarshal(preprocessingJSON, &pre); err != nil {
			return nil, fmt.Errorf("%w: preprocessing: %w", ErrInvalid, err)
		}
	}
	if pre.Imputation == nil {
		pre.Imputation = &impute.Imputer{Strategy: impute.None}
	}
	if err := pre.Imputation.Validate(len(features)); err != nil {
		return nil, fmt.Errorf("%w: preprocessing: %w", ErrInvalid, err)
	}

	p := &Pipeline{Format: format, Features: append([]string(nil), features...), Imputer: pre.Imputation}
	switch format {
	case FormatLogistic:
		if pre.Imputation.Strategy == impute.None {
			return nil, fmt.Errorf("%w: a logistic model needs an imputation step, the preprocessing has none", ErrInvalid)
		}
		m, err := linear.Load(weights, features)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
		}
		p.Type, p.Model = TypeLogistic, m
	case FormatXGBoost:
		b, err := gbdt.LoadWithFeatures(weights, features)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
		}
		p.Type, p.Model = TypeGBDT, b
	default:
		return nil, fmt.Errorf("%w: unknown weights format %q: want %q or %q", ErrInvalid, format, FormatLogistic, FormatXGBoost)
	}
	return p, nil
}
