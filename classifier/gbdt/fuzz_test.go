package gbdt

import (
	"errors"
	"math"
	"os"
	"testing"
)

// FuzzLoad checks that Load either returns a usable booster or an error that wraps
// ErrInvalidModel or ErrUnsupportedModel, and never panics. A booster it returns must
// predict probabilities and survive MarshalJSON and Load with the same predictions.
func FuzzLoad(f *testing.F) {
	f.Add(smallModel(f))
	if path := sharedModelPath(); path != "" {
		if data, err := os.ReadFile(path); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"learner":{},"version":[1,7,4]}`))
	f.Add([]byte(`{"learner":{"learner_model_param":{"base_score":"5E-1","boost_from_average":"1","num_class":"0","num_feature":"1","num_target":"1"},` +
		`"objective":{"name":"binary:logistic","reg_loss_param":{"scale_pos_weight":"1"}},` +
		`"gradient_booster":{"name":"gbtree","model":{"gbtree_model_param":{"num_parallel_tree":"1","num_trees":"1","size_leaf_vector":"0"},"tree_info":[0],` +
		`"trees":[{"base_weights":[0,0,0],"categories":[],"categories_nodes":[],"categories_segments":[],"categories_sizes":[],"default_left":[1,0,0],"id":0,` +
		`"left_children":[1,-1,-1],"loss_changes":[1,0,0],"parents":[2147483647,0,0],"right_children":[2,-1,-1],"split_conditions":[5E-1,-1E0,1E0],` +
		`"split_indices":[0,0,0],"split_type":[0,0,0],"sum_hessian":[2,1,1],"tree_param":{"num_deleted":"0","num_feature":"1","num_nodes":"3","size_leaf_vector":"0"}}]}}},` +
		`"version":[1,7,4]}`))

	rows := [][]float64{{30, 1e5}, {math.NaN(), 5e5}, {60, math.NaN()}, {}, {1e300, -1e300, 7}}
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := Load(data)
		if err != nil {
			if !errors.Is(err, ErrInvalidModel) && !errors.Is(err, ErrUnsupportedModel) {
				t.Fatalf("Load() = %v, which wraps neither ErrInvalidModel nor ErrUnsupportedModel", err)
			}
			return
		}

		got := make([]float64, len(rows))
		b.PredictProba(rows, got)
		for i, p := range got {
			if p < 0 || p > 1 {
				t.Fatalf("row %d: probability %v outside [0, 1]", i, p)
			}
		}

		out, err := b.MarshalJSON()
		if err != nil {
			t.Fatalf("MarshalJSON() = %v", err)
		}
		again, err := Load(out)
		if err != nil {
			t.Fatalf("Load(MarshalJSON()) = %v", err)
		}
		after := make([]float64, len(rows))
		again.PredictProba(rows, after)
		for i := range got {
			if math.Float64bits(got[i]) != math.Float64bits(after[i]) {
				t.Fatalf("row %d: %v before MarshalJSON and %v after", i, got[i], after[i])
			}
		}
	})
}
