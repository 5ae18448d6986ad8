package trainer

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestLoadConfig_Defaults(t *testing.T) {
	cfg := mustDefaultConfig(t)
	if cfg.Split.TestFraction != 0.25 {
		t.Errorf("test fraction = %v, want 0.25", cfg.Split.TestFraction)
	}
	if cfg.Gate.MinAccuracy != 0.90 {
		t.Errorf("gate = %v, want 0.90", cfg.Gate.MinAccuracy)
	}
	if cfg.Data.Rename["401K Savings"] != "Savings" {
		t.Errorf("rename = %v, want 401K Savings -> Savings", cfg.Data.Rename)
	}
	if !slices.Equal(cfg.Data.Drop, []string{"Customer ID"}) {
		t.Errorf("drop = %v", cfg.Data.Drop)
	}
	if cfg.Model.Type != TypeAuto || cfg.Model.GBDT.NEstimators != 300 {
		t.Errorf("model = %+v", cfg.Model)
	}
}

func TestLoadConfig_FileThenEnv(t *testing.T) {
	path := filepath.Join(t.TempDir(), "trainer.yaml")
	yaml := "model:\n  type: logistic\n  logistic:\n    c: 0.5\nsplit:\n  test_fraction: 0.3\n"
	if err := os.WriteFile(path, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := LoadConfig(path, []string{"TRAINER_MODEL_TYPE=gbdt", "TRAINER_MODEL_GBDT_N_ESTIMATORS=50", "TRAINER_DATA_FEATURES=Savings, Age", "PATH=/bin"})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Model.Type != "gbdt" {
		t.Errorf("model.type = %q, want the environment's gbdt", cfg.Model.Type)
	}
	if cfg.Model.Logistic.C != 0.5 {
		t.Errorf("model.logistic.c = %v, want the file's 0.5", cfg.Model.Logistic.C)
	}
	if cfg.Split.TestFraction != 0.3 {
		t.Errorf("split.test_fraction = %v, want the file's 0.3", cfg.Split.TestFraction)
	}
	if cfg.Model.GBDT.NEstimators != 50 {
		t.Errorf("n_estimators = %v, want 50", cfg.Model.GBDT.NEstimators)
	}
	if !slices.Equal(cfg.Data.Features, []string{"Savings", "Age"}) {
		t.Errorf("features = %q, want [Savings Age]", cfg.Data.Features)
	}
}

func TestLoadConfig_Rejects(t *testing.T) {
	tests := []struct {
		name    string
		yaml    string
		environ []string
		want    string
	}{
		{"unknown env", "", []string{"TRAINER_MODEL_TYP=gbdt"}, "TRAINER_MODEL_TYP"},
		{"unknown file key", "model:\n  typ: gbdt\n", nil, `"model.typ"`},
		{"bad type", "", []string{"TRAINER_MODEL_TYPE=forest"}, "model.type"},
		{"bad fraction", "", []string{"TRAINER_SPLIT_TEST_FRACTION=1.5"}, "split.test_fraction"},
		{"non-numeric fraction", "", []string{"TRAINER_SPLIT_TEST_FRACTION=half"}, "test_fraction"},
		{"bad gate", "gate:\n  min_accuracy: 2\n", nil, "gate.min_accuracy"},
		{"bad imputation", "", []string{"TRAINER_MODEL_IMPUTATION=mode"}, "model.imputation"},
		{"bad metric", "", []string{"TRAINER_MODEL_SELECTION_METRIC=f1"}, "model.selection.metric"},
		{"target is feature", "", []string{"TRAINER_DATA_FEATURES=Age,Retire"}, "data.target"},
		{"bad gbdt param", "", []string{"TRAINER_MODEL_GBDT_LEARNING_RATE=-1"}, "learning_rate"},
		{"bad yaml", "model: [\n", nil, "trainer.yaml"},
		{"empty env", "", []string{"TRAINER_GATE_MIN_ACCURACY="}, "TRAINER_GATE_MIN_ACCURACY is empty"},
		{"null yaml value", "gate:\n  min_accuracy: null\n", nil, `"gate.min_accuracy" has no value`},
		{"null yaml section", "gate: null\n", nil, `"gate" has no value`},
		{"empty yaml string", "gate:\n  min_accuracy: \"\"\n", nil, "not a finite number"},
		{"fractional integer", "model:\n  gbdt:\n    n_estimators: 3.7\n", nil, "3.7 is not a whole number"},
		{"integer overflow", "model:\n  gbdt:\n    n_estimators: 99999999999999999999\n", nil, "not a whole number"},
		{"fractional integer env", "", []string{"TRAINER_MODEL_GBDT_MAX_DEPTH=2.5"}, `"2.5" is not a whole number`},
		{"bool for number", "gate:\n  min_accuracy: true\n", nil, "boolean"},
		{"bool for integer", "model:\n  gbdt:\n    max_depth: true\n", nil, "boolean"},
		{"bool for text", "name: true\n", nil, "boolean"},
		{"zero C", "", []string{"TRAINER_MODEL_LOGISTIC_C=0"}, "model.logistic.c"},
		{"zero max_iter", "", []string{"TRAINER_MODEL_LOGISTIC_MAX_ITER=0"}, "model.logistic.max_iter"},
		{"zero impute rounds", "", []string{"TRAINER_MODEL_IMPUTE_MAX_ROUNDS=0"}, "model.impute"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := ""
			if tt.yaml != "" {
				path = filepath.Join(t.TempDir(), "trainer.yaml")
				if err := os.WriteFile(path, []byte(tt.yaml), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			_, err := LoadConfig(path, tt.environ)
			if !errors.Is(err, ErrInvalidConfig) {
				t.Fatalf("error = %v, want ErrInvalidConfig", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not mention %q", err, tt.want)
			}
		})
	}
}

func TestLoadConfig_MissingValuesKeepsEmptyMarker(t *testing.T) {
	cfg, err := LoadConfig("", []string{"TRAINER_DATA_MISSING_VALUES=NA,"})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(cfg.Data.MissingValues, []string{"NA", ""}) {
		t.Errorf("missing values = %q, want [NA \"\"]", cfg.Data.MissingValues)
	}
}
