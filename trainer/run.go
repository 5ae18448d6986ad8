package trainer

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"text/tabwriter"

	"github.com/bankml/retire/artifact"
)

// Inputs are the files and settings that the train and import commands share.
type Inputs struct {
	DataPath   string
	OutputDir  string
	ConfigPath string
	// Environ is the environment in os.Environ form, read for TRAINER_ overrides.
	Environ []string
	Run     RunInfo
}

// load reads the config and the data.
func (in Inputs) load(logger *slog.Logger) (Config, *Dataset, error) {
	cfg, err := LoadConfig(in.ConfigPath, in.Environ)
	if err != nil {
		return Config{}, nil, err
	}
	data, err := ReadCSVFile(in.DataPath, cfg.Data)
	if err != nil {
		return Config{}, nil, err
	}
	logger.Info("data loaded", "file", data.File, "sha256", data.SHA256, "rows", len(data.Y),
		"positives", data.Positives(), "missing_cells", data.MissingCells())
	return cfg, data, nil
}

// TrainOptions are the inputs of the train command.
type TrainOptions struct {
	Inputs
	// CVFolds, when 2 or more, adds k-fold cross-validation over all rows of the chosen
	// model type to the report and the metadata.
	CVFolds int
}

// RunTrain loads the config and the data, trains, prints the scores to out and, when the
// model passes the gate, writes the model directory. A model below the gate is reported
// and not written, and the returned error wraps ErrBelowGate.
func RunTrain(opts TrainOptions, out io.Writer, logger *slog.Logger) (*Result, error) {
	cfg, data, err := opts.load(logger)
	if err != nil {
		return nil, err
	}
	result, trainErr := Train(data, cfg, opts.Run)
	if result == nil {
		return nil, trainErr
	}
	if opts.CVFolds != 0 {
		spec := cfg.Model.Spec
		spec.Type = result.Pipeline.Type
		scores, err := CrossValidate(data.X, data.Y, data.Features, spec, opts.CVFolds, cfg.Split.Seed)
		if err != nil {
			return nil, fmt.Errorf("cross-validation: %w", err)
		}
		result.Metadata.Metrics.CrossValidation = Summarize(scores)
	}
	return result, reportAndWrite(result, trainErr, opts.OutputDir, out, logger)
}

// ImportOptions are the inputs of the import command.
type ImportOptions struct {
	Inputs
	// XGBoostPath is an XGBoost JSON model file.
	XGBoostPath string
}

// RunImport scores an XGBoost JSON model trained elsewhere on the configured test split of
// the data, prints the scores to out and, when the model passes the gate, writes a model
// directory with the weights file unchanged.
func RunImport(opts ImportOptions, out io.Writer, logger *slog.Logger) (*Result, error) {
	cfg, data, err := opts.load(logger)
	if err != nil {
		return nil, err
	}
	weights, err := os.ReadFile(opts.XGBoostPath)
	if err != nil {
		return nil, fmt.Errorf("import: %w", err)
	}
	result, importErr := Import(data, cfg, weights, opts.XGBoostPath, opts.Run)
	if result == nil {
		return nil, importErr
	}
	return result, reportAndWrite(result, importErr, opts.OutputDir, out, logger)
}

// reportAndWrite prints the scores and writes the model directory unless the model failed
// the gate, in which case it returns gateErr.
func reportAndWrite(result *Result, gateErr error, outputDir string, out io.Writer, logger *slog.Logger) error {
	if err := PrintReport(out, result.Metadata); err != nil {
		return err
	}
	if errors.Is(gateErr, ErrBelowGate) {
		logger.Error("model not written", "reason", gateErr.Error(), "output", outputDir)
		return gateErr
	}
	if err := WriteModelDir(outputDir, result); err != nil {
		return err
	}
	logger.Info("model written", "output", outputDir, "type", result.Pipeline.Type, "accuracy", result.Metadata.Metrics.Accuracy)
	return nil
}

// PrintReport writes the model type, the test scores and any cross-validation summary as
// an aligned table.
func PrintReport(w io.Writer, meta artifact.Metadata) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	m := meta.Metrics
	fmt.Fprintf(tw, "model\t%s (%s)\n", meta.Model.Type, meta.Model.Format)
	if s := meta.Model.Selection; s != nil {
		for _, candidate := range []string{"logistic", "gbdt"} {
			if scores, ok := s.Scores[candidate]; ok {
				fmt.Fprintf(tw, "selection %s\t%s per fold %.4f\n", candidate, s.Metric, scores)
			}
		}
		fmt.Fprintf(tw, "selected\t%s\n", s.Chosen)
	}
	fmt.Fprintf(tw, "test rows\t%d of %d\n", meta.Data.TestRows, meta.Data.Rows)
	fmt.Fprintf(tw, "accuracy\t%.4f\n", m.Accuracy)
	fmt.Fprintf(tw, "roc_auc\t%.4f\n", m.ROCAUC)
	fmt.Fprintf(tw, "log_loss\t%.4f\n", m.LogLoss)
	c := m.ConfusionMatrix
	fmt.Fprintf(tw, "confusion\tTN %d  FP %d  FN %d  TP %d\n", c.TrueNegatives, c.FalsePositives, c.FalseNegatives, c.TruePositives)
	if cv := m.CrossValidation; cv != nil {
		fmt.Fprintf(tw, "cv accuracy\t%.4f ± %.4f (%d folds)\n", cv.AccuracyAvg, cv.AccuracyStd, cv.Folds)
		fmt.Fprintf(tw, "cv roc_auc\t%.4f ± %.4f\n", cv.ROCAUCAvg, cv.ROCAUCStd)
		fmt.Fprintf(tw, "cv log_loss\t%.4f ± %.4f\n", cv.LogLossAvg, cv.LogLossStd)
	}
	fmt.Fprintf(tw, "gate\taccuracy >= %.4f: %s\n", meta.Training.MinAccuracy, passFail(m.Accuracy >= meta.Training.MinAccuracy))
	return tw.Flush()
}

func passFail(ok bool) string {
	if ok {
		return "pass"
	}
	return "FAIL"
}
