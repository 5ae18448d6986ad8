// Package trainer reads training data, fits and evaluates the retirement classifier, and
// writes a model directory (weights, metadata and model card) for the artifact package.
package trainer

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"time"

	"github.com/bankml/retire/artifact"
	"github.com/bankml/retire/classifier"
	"github.com/bankml/retire/classifier/impute"
	"github.com/bankml/retire/classifier/metrics"
)

// WeightsFile is the file name of the weights in a model directory, for every format.
const WeightsFile = "model.json"

// RunInfo describes the run rather than the data: where the code came from and when.
type RunInfo struct {
	Revision   string
	Repository string
	// Now stamps the metadata; the zero value means time.Now.
	Now time.Time
}

// Result is a trained and evaluated model.
type Result struct {
	Pipeline *classifier.Pipeline
	Metadata artifact.Metadata
	// TestRows are the dataset indices of the test split, and TestProbabilities the
	// model's P(class 1) for them in the same order.
	TestRows          []int
	TestProbabilities []float64
	// Weights, when set, are written as the weights file in place of the pipeline's own
	// encoding, so that an imported model keeps its exact bytes.
	Weights []byte
}

// Train splits the data, chooses the model type when model.type is auto, fits on the
// training split and scores on the test split. When test accuracy is below the gate it
// returns the result together with an error wrapping ErrBelowGate.
func Train(data *Dataset, cfg Config, run RunInfo) (*Result, error) {
	trainRows, testRows, err := StratifiedSplit(data.Y, cfg.Split.TestFraction, cfg.Split.Seed)
	if err != nil {
		return nil, err
	}
	trainX, trainY := data.Subset(trainRows)
	testX, testY := data.Subset(testRows)

	spec := cfg.Model.Spec
	var selection *artifact.Selection
	if spec.Type == TypeAuto {
		selection, err = selectModel(trainX, trainY, data.Features, cfg)
		if err != nil {
			return nil, err
		}
		spec.Type = selection.Chosen
	}

	pipeline, err := classifier.Fit(trainX, trainY, data.Features, spec)
	if err != nil {
		return nil, err
	}
	probabilities, err := pipeline.PredictProba(testX)
	if err != nil {
		return nil, err
	}

	meta, err := describe(data, trainRows, testRows, cfg, spec, pipeline, run)
	if err != nil {
		return nil, err
	}
	meta.Model.Selection = selection
	meta.Metrics = Evaluate(testY, probabilities)

	result := &Result{Pipeline: pipeline, Metadata: meta, TestRows: testRows, TestProbabilities: probabilities}
	if meta.Metrics.Accuracy < cfg.Gate.MinAccuracy {
		return result, fmt.Errorf("%w: test accuracy %.4f is below gate.min_accuracy %.4f", ErrBelowGate, meta.Metrics.Accuracy, cfg.Gate.MinAccuracy)
	}
	return result, nil
}

// Evaluate scores probabilities against labels.
func Evaluate(y, probabilities []float64) artifact.Metrics {
	c := metrics.ConfusionMatrix(y, probabilities)
	return artifact.Metrics{
		Accuracy: metrics.Accuracy(y, probabilities),
		ROCAUC:   metrics.ROCAUC(y, probabilities),
		LogLoss:  metrics.LogLoss(y, probabilities),
		ConfusionMatrix: artifact.ConfusionMatrix{
			TrueNegatives:  c.TrueNegatives,
			FalsePositives: c.FalsePositives,
			FalseNegatives: c.FalseNegatives,
			TruePositives:  c.TruePositives,
		},
	}
}

// CrossValidate fits spec on k-1 folds and scores the held-out fold, k times, over all rows
// of x. It returns the score of each fold.
func CrossValidate(x [][]float64, y []float64, features []string, spec classifier.Spec, k int, seed int64) ([]artifact.Metrics, error) {
	folds, err := StratifiedKFold(y, k, seed)
	if err != nil {
		return nil, err
	}
	scores := make([]artifact.Metrics, k)
	for i, testRows := range folds {
		trainRows := Complement(len(y), testRows)
		pipeline, err := classifier.Fit(pick(x, trainRows), pickLabels(y, trainRows), features, spec)
		if err != nil {
			return nil, fmt.Errorf("fold %d of %d: %w", i+1, k, err)
		}
		probabilities, err := pipeline.PredictProba(pick(x, testRows))
		if err != nil {
			return nil, fmt.Errorf("fold %d of %d: %w", i+1, k, err)
		}
		scores[i] = Evaluate(pickLabels(y, testRows), probabilities)
	}
	return scores, nil
}

// Summarize returns the mean and standard deviation of fold scores.
func Summarize(scores []artifact.Metrics) *artifact.CrossValidation {
	collect := func(get func(artifact.Metrics) float64) []float64 {
		values := make([]float64, len(scores))
		for i, s := range scores {
			values[i] = get(s)
		}
		return values
	}
	cv := &artifact.CrossValidation{Folds: len(scores)}
	cv.AccuracyAvg, cv.AccuracyStd = metrics.MeanStd(collect(func(m artifact.Metrics) float64 { return m.Accuracy }))
	cv.ROCAUCAvg, cv.ROCAUCStd = metrics.MeanStd(collect(func(m artifact.Metrics) float64 { return m.ROCAUC }))
	cv.LogLossAvg, cv.LogLossStd = metrics.MeanStd(collect(func(m artifact.Metrics) float64 { return m.LogLoss }))
	return cv
}

// selectModel cross-validates each candidate model type on the training split and picks
// the best mean of the configured metric. A logistic model needs imputation, so it is no
// candidate when model.imputation is "none".
func selectModel(x [][]float64, y []float64, features []string, cfg Config) (*artifact.Selection, error) {
	candidates := []string{classifier.TypeLogistic, classifier.TypeGBDT}
	if cfg.Model.Imputation == impute.None {
		candidates = []string{classifier.TypeGBDT}
	}
	selection := &artifact.Selection{
		Metric: cfg.Model.Selection.Metric,
		Folds:  cfg.Model.Selection.Folds,
		Scores: map[string][]float64{},
	}
	best := math.Inf(-1)
	for _, candidate := range candidates {
		spec := cfg.Model.Spec
		spec.Type = candidate
		scores, err := CrossValidate(x, y, features, spec, cfg.Model.Selection.Folds, cfg.Split.Seed)
		if err != nil {
			return nil, fmt.Errorf("model selection, %s: %w", candidate, err)
		}
		values := make([]float64, len(scores))
		for i, s := range scores {
			values[i] = metricValue(s, cfg.Model.Selection.Metric)
		}
		selection.Scores[candidate] = values
		mean, _ := metrics.MeanStd(values)
		// Lower log loss is better, so compare its negation.
		if cfg.Model.Selection.Metric == MetricLogLoss {
			mean = -mean
		}
		if mean > best {
			best, selection.Chosen = mean, candidate
		}
	}
	if selection.Chosen == "" {
		return nil, errors.New("model selection: no candidate produced a finite score")
	}
	return selection, nil
}

func metricValue(m artifact.Metrics, metric string) float64 {
	switch metric {
	case MetricAccuracy:
		return m.Accuracy
	case MetricLogLoss:
		return m.LogLoss
	default:
		return m.ROCAUC
	}
}

// describe builds the metadata of a fitted pipeline, metrics excepted.
func describe(data *Dataset, trainRows, testRows []int, cfg Config, spec classifier.Spec, pipeline *classifier.Pipeline, run RunInfo) (artifact.Metadata, error) {
	preprocessing, err := pipeline.MarshalPreprocessing()
	if err != nil {
		return artifact.Metadata{}, err
	}
	hyperparameters, err := hyperparametersOf(spec)
	if err != nil {
		return artifact.Metadata{}, err
	}
	now := run.Now
	if now.IsZero() {
		now = time.Now()
	}

	features := make([]artifact.Feature, len(data.Features))
	for j, name := range data.Features {
		f := artifact.Feature{Name: name, Type: "number", Min: math.Inf(1), Max: math.Inf(-1)}
		for _, i := range trainRows {
			v := data.X[i][j]
			if math.IsNaN(v) {
				f.Missing++
				continue
			}
			f.Min = math.Min(f.Min, v)
			f.Max = math.Max(f.Max, v)
		}
		features[j] = f
	}

	return artifact.Metadata{
		SchemaVersion: artifact.MetadataSchemaVersion,
		Name:          cfg.Name,
		CreatedAt:     now.UTC().Truncate(time.Second),
		Features:      features,
		Target:        cfg.Data.Target,
		Model: artifact.ModelInfo{
			Type:            pipeline.Type,
			Format:          pipeline.Format,
			WeightsFile:     WeightsFile,
			Hyperparameters: hyperparameters,
			Preprocessing:   preprocessing,
		},
		Data: artifact.DataInfo{
			// The base name only: the directory it was read from tells nothing about the
			// data and would make the metadata depend on the working directory.
			File:         filepath.Base(data.File),
			SHA256:       data.SHA256,
			Rows:         len(data.Y),
			TrainRows:    len(trainRows),
			TestRows:     len(testRows),
			Positives:    data.Positives(),
			MissingCells: data.MissingCells(),
		},
		Training: artifact.Training{
			TestFraction: cfg.Split.TestFraction,
			Seed:         cfg.Split.Seed,
			MinAccuracy:  cfg.Gate.MinAccuracy,
		},
		Source: artifact.Source{Revision: run.Revision, Repository: run.Repository},
	}, nil
}

// hyperparametersOf returns the settings of the chosen model type and its imputation as a
// JSON object.
func hyperparametersOf(spec classifier.Spec) (map[string]any, error) {
	var model any = spec.Logistic
	if spec.Type == classifier.TypeGBDT {
		model = spec.GBDT
	}
	out := map[string]any{}
	for _, part := range []any{model, map[string]any{"imputation": spec.Imputation, "impute": spec.Impute}} {
		data, err := json.Marshal(part)
		if err != nil {
			return nil, err
		}
		if err := json.Unmarshal(data, &out); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func pick(x [][]float64, rows []int) [][]float64 {
	out := make([][]float64, len(rows))
	for i, r := range rows {
		out[i] = x[r]
	}
	return out
}

func pickLabels(y []float64, rows []int) []float64 {
	out := make([]float64, len(rows))
	for i, r := range rows {
		out[i] = y[r]
	}
	return out
}
