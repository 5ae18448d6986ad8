package artifact

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// File names inside a model directory. The trainer writes them, Pack reads them, and Pull
// writes them back under the same names.
const (
	// MetadataFile is the metadata JSON described by schemas/metadata.schema.json.
	MetadataFile = "metadata.json"
	// ModelCardFile is the human-readable model card in Markdown.
	ModelCardFile = "MODEL_CARD.md"
	// MetadataSchemaVersion is the value of Metadata.SchemaVersion that this code writes and reads.
	MetadataSchemaVersion = "1"
)

// Metadata is the content of metadata.json: everything a consumer needs to know about a
// trained model except its weights. Pack copies some of it into the ModelPack config.
type Metadata struct {
	SchemaVersion string    `json:"schema_version"`
	Name          string    `json:"name"`
	CreatedAt     time.Time `json:"created_at"`
	Features      []Feature `json:"features"`
	Target        string    `json:"target"`
	Model         ModelInfo `json:"model"`
	Metrics       Metrics   `json:"metrics"`
	Data          DataInfo  `json:"data"`
	Training      Training  `json:"training"`
	Source        Source    `json:"source"`
}

// Feature is one model input, in the order the model expects it.
type Feature struct {
	Name string `json:"name"`
	// Type is the JSON type a client sends, "number" for every feature today.
	Type string `json:"type"`
	// Min and Max are the range observed in the training data, missing values excluded.
	Min float64 `json:"min"`
	Max float64 `json:"max"`
	// Missing counts the missing cells of this feature in the training data.
	Missing int `json:"missing"`
}

// ModelInfo names the weights file and how to read it.
type ModelInfo struct {
	// Type is the model family: "logistic" or "gbdt".
	Type string `json:"type"`
	// Format is the encoding of the weights file: "logistic-json/v1" or "xgboost-json".
	Format string `json:"format"`
	// WeightsFile is the file name of the weights inside the model directory.
	WeightsFile     string          `json:"weights_file"`
	Hyperparameters map[string]any  `json:"hyperparameters"`
	Preprocessing   json.RawMessage `json:"preprocessing"`
	// Selection records how model.type "auto" chose this model; nil otherwise.
	Selection *Selection `json:"selection,omitempty"`
}

// Selection records a cross-validated choice between model types.
type Selection struct {
	Metric string `json:"metric"`
	Folds  int    `json:"folds"`
	// Scores maps each candidate model type to its score on each fold.
	Scores map[string][]float64 `json:"scores"`
	Chosen string               `json:"chosen"`
}

// Metrics are the scores on the held-out test split.
type Metrics struct {
	Accuracy        float64         `json:"accuracy"`
	ROCAUC          float64         `json:"roc_auc"`
	LogLoss         float64         `json:"log_loss"`
	ConfusionMatrix ConfusionMatrix `json:"confusion_matrix"`
	// CrossValidation holds k-fold scores when the trainer ran cross-validation.
	CrossValidation *CrossValidation `json:"cross_validation,omitempty"`
}

// ConfusionMatrix counts test rows by true and predicted class at threshold 0.5.
type ConfusionMatrix struct {
	TrueNegatives  int `json:"true_negatives"`
	FalsePositives int `json:"false_positives"`
	FalseNegatives int `json:"false_negatives"`
	TruePositives  int `json:"true_positives"`
}

// CrossValidation summarizes stratified k-fold scores.
type CrossValidation struct {
	Folds       int     `json:"folds"`
	AccuracyAvg float64 `json:"accuracy_mean"`
	AccuracyStd float64 `json:"accuracy_std"`
	ROCAUCAvg   float64 `json:"roc_auc_mean"`
	ROCAUCStd   float64 `json:"roc_auc_std"`
	LogLossAvg  float64 `json:"log_loss_mean"`
	LogLossStd  float64 `json:"log_loss_std"`
}

// DataInfo identifies the training data.
type DataInfo struct {
	File         string `json:"file"`
	SHA256       string `json:"sha256"`
	Rows         int    `json:"rows"`
	TrainRows    int    `json:"train_rows"`
	TestRows     int    `json:"test_rows"`
	Positives    int    `json:"positives"`
	MissingCells int    `json:"missing_cells"`
}

// Training holds the split and gate settings of the run.
type Training struct {
	TestFraction float64 `json:"test_fraction"`
	Seed         int64   `json:"seed"`
	MinAccuracy  float64 `json:"min_accuracy"`
}

// Source identifies the code that trained the model, when known.
type Source struct {
	Repository string `json:"repository,omitempty"`
	Revision   string `json:"revision,omitempty"`
}

// ParseMetadata decodes metadata.json and validates it. Errors name the file and, for a
// syntax error, the line.
func ParseMetadata(data []byte) (Metadata, error) {
	var metadata Metadata
	if err := json.Unmarshal(data, &metadata); err != nil {
		var syntaxErr *json.SyntaxError
		if errors.As(err, &syntaxErr) {
			line := 1 + bytes.Count(data[:syntaxErr.Offset], []byte("\n"))
			return Metadata{}, fmt.Errorf("%s line %d: invalid JSON: %w", MetadataFile, line, err)
		}
		return Metadata{}, fmt.Errorf("%s: invalid content: %w", MetadataFile, err)
	}

	if err := metadata.Validate(); err != nil {
		return Metadata{}, err
	}
	return metadata, nil
}

// Validate checks the fields that packing and pulling depend on: the schema version, the model
// name, the weights file name and the weights format.
func (m Metadata) Validate() error {
	if m.SchemaVersion != MetadataSchemaVersion {
		return fmt.Errorf("%s: schema_version %q is not supported, this code reads %q: %w",
			MetadataFile, m.SchemaVersion, MetadataSchemaVersion, ErrInvalidModelDir)
	}
	if m.Name == "" {
		return fmt.Errorf("%s: name is empty: %w", MetadataFile, ErrInvalidModelDir)
	}
	if m.Model.Format == "" {
		return fmt.Errorf("%s: model.format is empty: %w", MetadataFile, ErrInvalidModelDir)
	}
	if err := validateFileName(m.Model.WeightsFile); err != nil {
		return fmt.Errorf("%s: model.weights_file: %w: %w", MetadataFile, err, ErrInvalidModelDir)
	}
	if m.Model.WeightsFile == MetadataFile || m.Model.WeightsFile == ModelCardFile {
		return fmt.Errorf("%s: model.weights_file %q is the name of another file of the model directory: %w",
			MetadataFile, m.Model.WeightsFile, ErrInvalidModelDir)
	}
	return nil
}

// validateFileName checks that name is a plain file name that is safe to create inside a
// directory: not empty, no path separator, not hidden, at most 255 bytes. Pull writes layers
// under their title annotation, so this check also stops a manifest from writing outside the
// cache directory.
func validateFileName(name string) error {
	switch {
	case name == "":
		return errors.New("empty file name")
	case len(name) > 255:
		return fmt.Errorf("file name %.40q... is longer than 255 bytes", name)
	case strings.ContainsAny(name, "/\\\x00"):
		return fmt.Errorf("file name %q contains a path separator or NUL, expected a plain file name", name)
	case strings.HasPrefix(name, "."):
		return fmt.Errorf("file name %q starts with '.', hidden files and . or .. are not allowed", name)
	}
	return nil
}
