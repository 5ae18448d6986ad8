package gbdt

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"
)

// smallModel returns the JSON of a model of two trees of depth 2 on two features. Node ids
// of each tree are 0: (1, 2), 1: (3, 4), 2: (5, 6).
func smallModel(tb testing.TB) []byte {
	tb.Helper()
	x, y := syntheticData(2000, 12)
	p := DefaultParams()
	p.NEstimators = 2
	p.MaxDepth = 2
	b := mustTrain(tb, x, y, []string{"Age", "Savings"}, p)
	if n := b.model.trees[0].numNodes(); n != 7 {
		tb.Fatalf("first tree has %d nodes, the edits below expect 7", n)
	}
	return mustMarshal(tb, b)
}

// editModel parses data, applies edit to the generic JSON value and returns the new JSON.
func editModel(tb testing.TB, data []byte, edit func(doc map[string]any)) []byte {
	tb.Helper()
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var doc map[string]any
	if err := dec.Decode(&doc); err != nil {
		tb.Fatal(err)
	}
	edit(doc)
	out, err := json.Marshal(doc)
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

func learnerOf(doc map[string]any) map[string]any {
	return doc["learner"].(map[string]any)
}

func boosterModelOf(doc map[string]any) map[string]any {
	return learnerOf(doc)["gradient_booster"].(map[string]any)["model"].(map[string]any)
}

func treeOf(doc map[string]any, i int) map[string]any {
	return boosterModelOf(doc)["trees"].([]any)[i].(map[string]any)
}

func TestLoad_RejectsMalformed(t *testing.T) {
	valid := smallModel(t)
	if _, err := Load(valid); err != nil {
		t.Fatalf("Load(valid model) = %v", err)
	}

	tests := []struct {
		name    string
		data    []byte
		edit    func(doc map[string]any)
		wantErr error
		want    string
	}{
		{name: "not JSON", data: []byte("{"), wantErr: ErrInvalidModel, want: "parse JSON"},
		{name: "JSON array", data: []byte("[1,2]"), wantErr: ErrInvalidModel, want: "parse JSON"},
		{name: "empty object", data: []byte("{}"), wantErr: ErrInvalidModel, want: "version must be an array of 3 integers"},
		{name: "no learner", data: []byte(`{"version":[1,7,4]}`), wantErr: ErrInvalidModel, want: "missing object learner"},
		{
			name:    "other objective",
			edit:    func(d map[string]any) { learnerOf(d)["objective"].(map[string]any)["name"] = "reg:squarederror" },
			wantErr: ErrUnsupportedModel, want: `objective "reg:squarederror", only binary:logistic`,
		},
		{
			name:    "gblinear",
			edit:    func(d map[string]any) { learnerOf(d)["gradient_booster"].(map[string]any)["name"] = "gblinear" },
			wantErr: ErrUnsupportedModel, want: `gradient booster "gblinear"`,
		},
		{
			name:    "base_score outside (0, 1)",
			edit:    func(d map[string]any) { learnerOf(d)["learner_model_param"].(map[string]any)["base_score"] = "2E0" },
			wantErr: ErrInvalidModel, want: `base_score = "2E0", must be a probability in (0, 1)`,
		},
		{
			name:    "multiclass",
			edit:    func(d map[string]any) { learnerOf(d)["learner_model_param"].(map[string]any)["num_class"] = "3" },
			wantErr: ErrInvalidModel, want: `num_class = "3", must be an integer in [0, 1]`,
		},
		{
			name:    "feature names count",
			edit:    func(d map[string]any) { learnerOf(d)["feature_names"] = []any{"Age"} },
			wantErr: ErrInvalidModel, want: "feature_names has 1 names but num_feature is 2",
		},
		{
			name:    "categorical feature type",
			edit:    func(d map[string]any) { learnerOf(d)["feature_types"] = []any{"float", "c"} },
			wantErr: ErrUnsupportedModel, want: "feature 1 is categorical",
		},
		{
			name:    "num_trees mismatch",
			edit:    func(d map[string]any) { boosterModelOf(d)["gbtree_model_param"].(map[string]any)["num_trees"] = "3" },
			wantErr: ErrInvalidModel, want: "num_trees is 3 but there are 2 trees",
		},
		{
			name:    "tree id",
			edit:    func(d map[string]any) { treeOf(d, 1)["id"] = json.Number("0") },
			wantErr: ErrInvalidModel, want: "tree 1: invalid model: id must be 1",
		},
		{
			name:    "child out of range",
			edit:    func(d map[string]any) { treeOf(d, 0)["left_children"].([]any)[0] = json.Number("99") },
			wantErr: ErrInvalidModel, want: "tree 0: node 0: invalid model: child 99 is not a node index in [1, 7)",
		},
		{
			name:    "child is the root",
			edit:    func(d map[string]any) { treeOf(d, 0)["right_children"].([]any)[2] = json.Number("0") },
			wantErr: ErrInvalidModel, want: "node 2: invalid model: child 0 is not a node index",
		},
		{
			name: "cycle",
			edit: func(d map[string]any) {
				tr := treeOf(d, 0)
				tr["left_children"].([]any)[3] = json.Number("1")
				tr["right_children"].([]any)[3] = json.Number("4")
			},
			wantErr: ErrInvalidModel, want: "node 3: invalid model: child 1 has parent 0, expected 3",
		},
		{
			name: "node with two parents",
			edit: func(d map[string]any) {
				tr := treeOf(d, 0)
				tr["left_children"].([]any)[2] = json.Number("3")
				tr["right_children"].([]any)[2] = json.Number("4")
			},
			wantErr: ErrInvalidModel, want: "node 2: invalid model: child 3 has parent 1, expected 2",
		},
		{
			name: "only one child",
			edit: func(d map[string]any) {
				treeOf(d, 0)["right_children"].([]any)[1] = json.Number("-1")
			},
			wantErr: ErrInvalidModel, want: "node 1: invalid model: child -1 is not a node index",
		},
		{
			name:    "root parent",
			edit:    func(d map[string]any) { treeOf(d, 0)["parents"].([]any)[0] = json.Number("5") },
			wantErr: ErrInvalidModel, want: "node 0 is the root but parents[0] = 5",
		},
		{
			name:    "feature index out of range",
			edit:    func(d map[string]any) { treeOf(d, 1)["split_indices"].([]any)[0] = json.Number("2") },
			wantErr: ErrInvalidModel, want: "tree 1: node 0: invalid model: split_indices = 2, must be a feature index in [0, 2)",
		},
		{
			name: "short array",
			edit: func(d map[string]any) {
				tr := treeOf(d, 0)
				tr["base_weights"] = tr["base_weights"].([]any)[:6]
			},
			wantErr: ErrInvalidModel, want: "base_weights has 6 entries but num_nodes is 7",
		},
		{
			name:    "missing array",
			edit:    func(d map[string]any) { delete(treeOf(d, 0), "split_conditions") },
			wantErr: ErrInvalidModel, want: "split_conditions has 0 entries but num_nodes is 7",
		},
		{
			name:    "num_nodes above the limit",
			edit:    func(d map[string]any) { treeOf(d, 0)["tree_param"].(map[string]any)["num_nodes"] = "2000000" },
			wantErr: ErrInvalidModel, want: `num_nodes = "2000000", must be an integer in [1, 1048576]`,
		},
		{
			name:    "categorical split",
			edit:    func(d map[string]any) { treeOf(d, 0)["split_type"].([]any)[0] = json.Number("1") },
			wantErr: ErrUnsupportedModel, want: "split_type = 1",
		},
		{
			name:    "default_left not 0 or 1",
			edit:    func(d map[string]any) { treeOf(d, 0)["default_left"].([]any)[0] = json.Number("2") },
			wantErr: ErrInvalidModel, want: "default_left = 2, must be 0 or 1",
		},
		{
			name:    "threshold beyond float32",
			edit:    func(d map[string]any) { treeOf(d, 0)["split_conditions"].([]any)[0] = json.Number("1e39") },
			wantErr: ErrInvalidModel, want: "parse JSON",
		},
		{
			name:    "child index beyond int32",
			edit:    func(d map[string]any) { treeOf(d, 0)["left_children"].([]any)[0] = json.Number("4294967297") },
			wantErr: ErrInvalidModel, want: "parse JSON",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			data := tc.data
			if tc.edit != nil {
				data = editModel(t, valid, tc.edit)
			}
			b, err := Load(data)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("Load() = %v, want %v", err, tc.wantErr)
			}
			if b != nil {
				t.Error("Load returned a booster with an error")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Load() = %q, want it to contain %q", err, tc.want)
			}
		})
	}
}

func TestLoad_RejectsOversizedInput(t *testing.T) {
	valid := smallModel(t)
	_, err := load(valid, len(valid)-1)
	if !errors.Is(err, ErrInvalidModel) || !strings.Contains(err.Error(), "more than the limit") {
		t.Errorf("load() over the size limit = %v, want ErrInvalidModel naming the limit", err)
	}
	if _, err := load(valid, len(valid)); err != nil {
		t.Errorf("load() at the size limit = %v", err)
	}
}

func TestLoadWithFeatures_RejectsOtherFeatures(t *testing.T) {
	valid := smallModel(t)
	tests := []struct {
		name  string
		names []string
	}{
		{"renamed", []string{"Age", "Income"}},
		{"reordered", []string{"Savings", "Age"}},
		{"fewer", []string{"Age"}},
		{"none", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := LoadWithFeatures(valid, tc.names)
			if !errors.Is(err, ErrFeatureMismatch) {
				t.Fatalf("LoadWithFeatures(%q) = %v, want ErrFeatureMismatch", tc.names, err)
			}
			if !strings.Contains(err.Error(), `model has features ["Age" "Savings"]`) {
				t.Errorf("error %q does not name the model's features", err)
			}
		})
	}
	if _, err := LoadWithFeatures(valid, []string{"Age", "Savings"}); err != nil {
		t.Errorf("LoadWithFeatures with the right names = %v", err)
	}
}

func TestJSONWriter_FloatFormat(t *testing.T) {
	tests := []struct {
		in   float32
		want string
	}{
		{0.045422357, "4.5422357E-2"},
		{199.28586, "1.9928586E2"},
		{1, "1E0"},
		{0, "0E0"},
		{float32(math.Copysign(0, -1)), "-0E0"},
		{576927.94, "5.7692794E5"},
		{1e-40, "1E-40"},
		{math.MaxFloat32, "3.4028235E38"},
		{float32(math.Inf(-1)), "-Infinity"},
	}
	for _, tc := range tests {
		var w jsonWriter
		w.float(tc.in)
		if string(w.buf) != tc.want {
			t.Errorf("float(%v) = %s, want %s", tc.in, w.buf, tc.want)
		}
	}
}

func TestMarshalJSON_EscapesFeatureNames(t *testing.T) {
	x, y := syntheticData(200, 16)
	names := []string{"age \"years\"", "savings\\usd\t\x01é"}
	p := DefaultParams()
	p.NEstimators = 2
	b := mustTrain(t, x, y, names, p)

	data := mustMarshal(t, b)
	if !json.Valid(data) {
		t.Fatalf("MarshalJSON wrote invalid JSON: %s", data[:200])
	}
	loaded, err := LoadWithFeatures(data, names)
	if err != nil {
		t.Fatalf("LoadWithFeatures() = %v", err)
	}
	if got := loaded.FeatureNames(); got[0] != names[0] || got[1] != names[1] {
		t.Errorf("feature names %q after the round trip, want %q", got, names)
	}
}
