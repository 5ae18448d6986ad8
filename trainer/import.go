package trainer

import (
	"fmt"
	"path/filepath"

	"github.com/bankml/retire/classifier"
	"github.com/bankml/retire/classifier/impute"
)

// Import wraps an XGBoost JSON model trained elsewhere (for example by Python's
// Booster.save_model) as a model directory result: it loads the model, scores it on the
// configured test split of data, and keeps the weights bytes unchanged. The model must name
// the configured features in order. When the model saw the test rows in training, the
// scores are optimistic; the metadata records where the model came from.
func Import(data *Dataset, cfg Config, weights []byte, weightsName string, run RunInfo) (*Result, error) {
	pipeline, err := classifier.Load(classifier.FormatXGBoost, weights, nil, data.Features)
	if err != nil {
		return nil, fmt.Errorf("import %s: %w", weightsName, err)
	}
	trainRows, testRows, err := StratifiedSplit(data.Y, cfg.Split.TestFraction, cfg.Split.Seed)
	if err != nil {
		return nil, err
	}
	testX, testY := data.Subset(testRows)
	probabilities, err := pipeline.PredictProba(testX)
	if err != nil {
		return nil, err
	}

	spec := classifier.Spec{Type: classifier.TypeGBDT, Imputation: impute.None}
	meta, err := describe(data, trainRows, testRows, cfg, spec, pipeline, run)
	if err != nil {
		return nil, err
	}
	meta.Model.Hyperparameters = map[string]any{"imported_from": filepath.Base(weightsName)}
	meta.Metrics = Evaluate(testY, probabilities)

	result := &Result{Pipeline: pipeline, Metadata: meta, TestRows: testRows, TestProbabilities: probabilities, Weights: weights}
	if meta.Metrics.Accuracy < cfg.Gate.MinAccuracy {
		return result, fmt.Errorf("%w: test accuracy %.4f is below gate.min_accuracy %.4f", ErrBelowGate, meta.Metrics.Accuracy, cfg.Gate.MinAccuracy)
	}
	return result, nil
}
