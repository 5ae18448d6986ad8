package schemas

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bankml/retire/artifact"
)

// TestValidate_Examples validates every file under testdata/NAME against NAME.schema.json:
// files named valid-*.json must pass and files named invalid-*.json must fail.
func TestValidate_Examples(t *testing.T) {
	dirs, err := os.ReadDir("testdata")
	if err != nil {
		t.Fatal(err)
	}
	for _, dir := range dirs {
		schemaFile := dir.Name() + ".schema.json"
		examples, err := filepath.Glob(filepath.Join("testdata", dir.Name(), "*.json"))
		if err != nil {
			t.Fatal(err)
		}
		if len(examples) == 0 {
			t.Errorf("testdata/%s has no examples", dir.Name())
		}
		for _, path := range examples {
			t.Run(dir.Name()+"/"+filepath.Base(path), func(t *testing.T) {
				doc, err := os.ReadFile(path)
				if err != nil {
					t.Fatal(err)
				}
				err = Validate(schemaFile, doc)
				if strings.HasPrefix(filepath.Base(path), "valid-") {
					if err != nil {
						t.Errorf("Validate(%s) = %v, want nil", schemaFile, err)
					}
					return
				}
				if !errors.Is(err, ErrInvalidDocument) {
					t.Errorf("Validate(%s) = %v, want ErrInvalidDocument", schemaFile, err)
				}
			})
		}
	}
}

func TestValidate_EverySchemaHasExamples(t *testing.T) {
	for _, name := range schemaFiles(t) {
		stem := strings.TrimSuffix(name, ".schema.json")
		for _, prefix := range []string{"valid-", "invalid-"} {
			matches, err := filepath.Glob(filepath.Join("testdata", stem, prefix+"*.json"))
			if err != nil {
				t.Fatal(err)
			}
			if len(matches) == 0 {
				t.Errorf("testdata/%s has no %s*.json example for %s", stem, prefix, name)
			}
		}
	}
}

func TestValidate_Errors(t *testing.T) {
	tests := []struct {
		name    string
		schema  string
		doc     string
		wantErr error
	}{
		{name: "unknown schema", schema: "nothing.schema.json", doc: `{}`, wantErr: ErrUnknownSchema},
		{name: "not JSON", schema: PredictRequest, doc: `{"inputs":`, wantErr: ErrInvalidDocument},
		{name: "two values", schema: Health, doc: `{"status":"ok"} {}`, wantErr: ErrInvalidDocument},
		{name: "empty", schema: Health, doc: ``, wantErr: ErrInvalidDocument},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Validate(tt.schema, []byte(tt.doc))
			if !errors.Is(err, tt.wantErr) {
				t.Errorf("Validate(%q, %q) = %v, want %v", tt.schema, tt.doc, err, tt.wantErr)
			}
		})
	}
}

func TestValidate_ErrorNamesLocation(t *testing.T) {
	err := Validate(PredictRequest, []byte(`{"inputs":[{"Age":1},{"Age":"x"}]}`))
	if err == nil {
		t.Fatal("Validate accepted a string feature value")
	}
	if !strings.Contains(err.Error(), "/inputs/1/Age") {
		t.Errorf("error %q does not name /inputs/1/Age", err)
	}
}

func TestSchemas_IDMatchesFileName(t *testing.T) {
	for _, name := range schemaFiles(t) {
		var schema struct {
			Schema string `json:"$schema"`
			ID     string `json:"$id"`
		}
		if err := json.Unmarshal(readSchema(t, name), &schema); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if schema.ID != baseURL+name {
			t.Errorf("%s: $id = %q, want %q", name, schema.ID, baseURL+name)
		}
		if schema.Schema != "https://json-schema.org/draft/2020-12/schema" {
			t.Errorf("%s: $schema = %q, want draft 2020-12", name, schema.Schema)
		}
	}
}

func TestSchemas_ConstantsNameFiles(t *testing.T) {
	constants := []string{PredictRequest, PredictResponse, Error, Health, Model, Metadata}
	files := schemaFiles(t)
	slices.Sort(constants)
	if !slices.Equal(constants, files) {
		t.Errorf("schema constants %q, embedded files %q", constants, files)
	}
}

// TestMetadataSchema_MatchesArtifactMetadata compares the JSON field names of
// artifact.Metadata and the types it contains with the properties of metadata.schema.json,
// so that a field added on one side only fails here.
func TestMetadataSchema_MatchesArtifactMetadata(t *testing.T) {
	var schema map[string]any
	if err := json.Unmarshal(readSchema(t, Metadata), &schema); err != nil {
		t.Fatal(err)
	}
	defs := schema["$defs"].(map[string]any)
	objects := []struct {
		goType reflect.Type
		schema map[string]any
	}{
		{reflect.TypeFor[artifact.Metadata](), schema},
		{reflect.TypeFor[artifact.Feature](), defs["feature"].(map[string]any)},
		{reflect.TypeFor[artifact.ModelInfo](), defs["model"].(map[string]any)},
		{reflect.TypeFor[artifact.Selection](), defs["selection"].(map[string]any)},
		{reflect.TypeFor[artifact.Metrics](), defs["metrics"].(map[string]any)},
		{reflect.TypeFor[artifact.ConfusionMatrix](), defs["confusion_matrix"].(map[string]any)},
		{reflect.TypeFor[artifact.CrossValidation](), defs["cross_validation"].(map[string]any)},
		{reflect.TypeFor[artifact.DataInfo](), defs["data"].(map[string]any)},
		{reflect.TypeFor[artifact.Training](), defs["training"].(map[string]any)},
		{reflect.TypeFor[artifact.Source](), defs["source"].(map[string]any)},
	}
	for _, object := range objects {
		t.Run(object.goType.Name(), func(t *testing.T) {
			wantProperties, wantRequired := jsonFields(object.goType)

			var properties []string
			for name := range object.schema["properties"].(map[string]any) {
				properties = append(properties, name)
			}
			slices.Sort(properties)
			if !slices.Equal(properties, wantProperties) {
				t.Errorf("schema properties %q, Go JSON fields %q", properties, wantProperties)
			}

			var required []string
			if list, ok := object.schema["required"].([]any); ok {
				for _, name := range list {
					required = append(required, name.(string))
				}
			}
			slices.Sort(required)
			if !slices.Equal(required, wantRequired) {
				t.Errorf("schema required %q, Go fields without omitempty %q", required, wantRequired)
			}

			if object.schema["additionalProperties"] != false {
				t.Errorf("schema allows additional properties, want additionalProperties false")
			}
		})
	}
}

// jsonFields returns the sorted JSON names of t's fields, and of those the ones that
// encoding/json always writes (no omitempty).
func jsonFields(t reflect.Type) (names, always []string) {
	for field := range t.Fields() {
		tag := field.Tag.Get("json")
		name, options, _ := strings.Cut(tag, ",")
		if name == "-" || !field.IsExported() {
			continue
		}
		if name == "" {
			name = field.Name
		}
		names = append(names, name)
		if !slices.Contains(strings.Split(options, ","), "omitempty") {
			always = append(always, name)
		}
	}
	slices.Sort(names)
	slices.Sort(always)
	return names, always
}

func TestMetadataSchema_AcceptsArtifactMetadata(t *testing.T) {
	metadata := artifact.Metadata{
		SchemaVersion: artifact.MetadataSchemaVersion,
		Name:          "retire",
		CreatedAt:     time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC),
		Features: []artifact.Feature{
			{Name: "Age", Type: "number", Min: 25, Max: 70, Missing: 3},
			{Name: "Savings", Type: "number", Min: 10, Max: 1e6, Missing: 2},
		},
		Target: "Retire",
		Model: artifact.ModelInfo{
			Type:            "gbdt",
			Format:          "xgboost-json",
			WeightsFile:     "model.json",
			Hyperparameters: map[string]any{"max_depth": 3},
			Preprocessing:   json.RawMessage(`{"imputation":{"strategy":"none"}}`),
			Selection: &artifact.Selection{
				Metric: "roc_auc",
				Folds:  3,
				Scores: map[string][]float64{"logistic": {0.9, 0.91, 0.92}, "gbdt": {0.95, 0.96, 0.97}},
				Chosen: "gbdt",
			},
		},
		Metrics: artifact.Metrics{
			Accuracy: 0.9, ROCAUC: 0.95, LogLoss: 0.2,
			ConfusionMatrix: artifact.ConfusionMatrix{TrueNegatives: 40, FalsePositives: 5, FalseNegatives: 5, TruePositives: 50},
			CrossValidation: &artifact.CrossValidation{Folds: 3, AccuracyAvg: 0.9, AccuracyStd: 0.01, ROCAUCAvg: 0.95, ROCAUCStd: 0.01, LogLossAvg: 0.2, LogLossStd: 0.02},
		},
		Data:     artifact.DataInfo{File: "bank_customer_retirement.csv", Rows: 500, TrainRows: 400, TestRows: 100, Positives: 250, MissingCells: 5},
		Training: artifact.Training{TestFraction: 0.2, Seed: 7, MinAccuracy: 0.8},
	}
	doc, err := json.Marshal(metadata)
	if err != nil {
		t.Fatal(err)
	}
	if err := Validate(Metadata, doc); err != nil {
		t.Errorf("marshaled artifact.Metadata: %v", err)
	}

	// A zero Metadata has no features, no schema version and no model format.
	zero, err := json.Marshal(artifact.Metadata{})
	if err != nil {
		t.Fatal(err)
	}
	if err := Validate(Metadata, zero); !errors.Is(err, ErrInvalidDocument) {
		t.Errorf("zero artifact.Metadata: Validate = %v, want ErrInvalidDocument", err)
	}
}

// schemaFiles returns the sorted names of the embedded schema files.
func schemaFiles(t *testing.T) []string {
	t.Helper()
	entries, err := files.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, entry := range entries {
		names = append(names, entry.Name())
	}
	slices.Sort(names)
	return names
}

func readSchema(t *testing.T, name string) []byte {
	t.Helper()
	data, err := files.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return data
}
