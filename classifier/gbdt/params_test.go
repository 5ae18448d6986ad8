package gbdt

import (
	"encoding/json"
	"errors"
	"math"
	"slices"
	"strings"
	"testing"
)

func TestDefaultParams_Valid(t *testing.T) {
	if err := DefaultParams().Validate(); err != nil {
		t.Fatalf("DefaultParams().Validate() = %v", err)
	}
	if err := pipelineParams().Validate(); err != nil {
		t.Fatalf("pipelineParams().Validate() = %v", err)
	}
}

func TestParams_JSONNames(t *testing.T) {
	data, err := json.Marshal(DefaultParams())
	if err != nil {
		t.Fatal(err)
	}
	var fields map[string]any
	if err := json.Unmarshal(data, &fields); err != nil {
		t.Fatal(err)
	}
	var names []string
	for k := range fields {
		names = append(names, k)
	}
	slices.Sort(names)
	want := []string{
		"base_score", "colsample_bynode", "colsample_bytree", "gamma", "grow_policy", "learning_rate",
		"max_bin", "max_depth", "max_leaves", "min_child_weight", "n_estimators", "nthread",
		"reg_alpha", "reg_lambda", "scale_pos_weight", "seed", "subsample",
	}
	if !slices.Equal(names, want) {
		t.Errorf("JSON names %v, want %v", names, want)
	}
}

func TestParams_ValidateRejects(t *testing.T) {
	nan := math.NaN()
	tests := []struct {
		name   string
		modify func(*Params)
		// want is the parameter name and allowed range the error must contain.
		want string
	}{
		{"zero estimators", func(p *Params) { p.NEstimators = 0 }, "n_estimators = 0, must be an integer in [1, 1048576]"},
		{"too many estimators", func(p *Params) { p.NEstimators = MaxTrees + 1 }, "n_estimators = 1048577"},
		{"negative learning rate", func(p *Params) { p.LearningRate = -0.1 }, "learning_rate = -0.1, must be a finite number in [0, inf)"},
		{"NaN learning rate", func(p *Params) { p.LearningRate = nan }, "learning_rate = NaN"},
		{"infinite learning rate", func(p *Params) { p.LearningRate = math.Inf(1) }, "learning_rate = +Inf"},
		{"negative max_depth", func(p *Params) { p.MaxDepth = -1 }, "max_depth = -1, must be an integer >= 0"},
		{"negative max_leaves", func(p *Params) { p.MaxLeaves = -3 }, "max_leaves = -3, must be an integer >= 0"},
		{"unknown grow_policy", func(p *Params) { p.GrowPolicy = "levelwise" }, `grow_policy = "levelwise", must be "depthwise" or "lossguide"`},
		{"empty grow_policy", func(p *Params) { p.GrowPolicy = "" }, `grow_policy = ""`},
		{"negative min_child_weight", func(p *Params) { p.MinChildWeight = -1 }, "min_child_weight = -1, must be a finite number in [0, inf)"},
		{"negative gamma", func(p *Params) { p.Gamma = -0.5 }, "gamma = -0.5"},
		{"negative reg_lambda", func(p *Params) { p.RegLambda = -1 }, "reg_lambda = -1"},
		{"negative reg_alpha", func(p *Params) { p.RegAlpha = -1 }, "reg_alpha = -1"},
		{"zero subsample", func(p *Params) { p.Subsample = 0 }, "subsample = 0, must be a finite number in (0, 1]"},
		{"subsample above 1", func(p *Params) { p.Subsample = 1.5 }, "subsample = 1.5"},
		{"zero colsample_bytree", func(p *Params) { p.ColsampleByTree = 0 }, "colsample_bytree = 0, must be a finite number in (0, 1]"},
		{"colsample_bynode above 1", func(p *Params) { p.ColsampleByNode = 2 }, "colsample_bynode = 2, must be a finite number in (0, 1]"},
		{"max_bin 1", func(p *Params) { p.MaxBin = 1 }, "max_bin = 1, must be an integer in [2, 65535]"},
		{"max_bin too large", func(p *Params) { p.MaxBin = 70000 }, "max_bin = 70000"},
		{"base_score 0", func(p *Params) { p.BaseScore = 0 }, "base_score = 0, must be a finite number in (0, 1)"},
		{"base_score 1", func(p *Params) { p.BaseScore = 1 }, "base_score = 1"},
		{"zero scale_pos_weight", func(p *Params) { p.ScalePosWeight = 0 }, "scale_pos_weight = 0, must be a finite number in (0, inf)"},
		{"float32 overflow", func(p *Params) { p.ScalePosWeight = 1e39 }, "scale_pos_weight = 1e+39"},
		{"negative nthread", func(p *Params) { p.NumThreads = -1 }, "nthread = -1, must be an integer >= 0"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := DefaultParams()
			tc.modify(&p)
			err := p.Validate()
			if !errors.Is(err, ErrInvalidParam) {
				t.Fatalf("Validate() = %v, want ErrInvalidParam", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Validate() = %q, want it to contain %q", err, tc.want)
			}

			x, y := [][]float64{{1, 2}, {3, 4}}, []float64{0, 1}
			if _, err := Train(x, y, []string{"a", "b"}, p); !errors.Is(err, ErrInvalidParam) {
				t.Errorf("Train() = %v, want ErrInvalidParam", err)
			}
		})
	}
}

func TestParams_ValidateAcceptsBounds(t *testing.T) {
	p := DefaultParams()
	p.LearningRate, p.Gamma, p.RegLambda, p.RegAlpha, p.MinChildWeight = 0, 0, 0, 0, 0
	p.Subsample, p.ColsampleByTree, p.ColsampleByNode = 1, 1, 1
	p.MaxDepth, p.MaxLeaves, p.MaxBin = 0, 0, 2
	p.GrowPolicy = GrowLossguide
	if err := p.Validate(); err != nil {
		t.Errorf("Validate() = %v for values on the allowed bounds", err)
	}
}
