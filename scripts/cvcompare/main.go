// Command cvcompare cross-validates this project's models on a CSV and writes the fold
// assignments and scores as JSON, so that scripts/cv_compare.py can score xgboost and
// scikit-learn on exactly the same folds. Run it through scripts/cv-compare.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"

	"github.com/bankml/retire/artifact"
	"github.com/bankml/retire/classifier"
	"github.com/bankml/retire/classifier/impute"
	"github.com/bankml/retire/trainer"
)

type candidate struct {
	Name   string             `json:"name"`
	Scores []artifact.Metrics `json:"scores"`
}

type report struct {
	// Folds holds, for each repetition, the test row indices of each fold.
	Folds      [][][]int   `json:"folds"`
	Candidates []candidate `json:"candidates"`
}

func main() {
	data := flag.String("data", "", "training CSV `file`")
	k := flag.Int("folds", 5, "folds per repetition")
	repeats := flag.Int("repeats", 10, "repetitions, with fold seeds 0 to repeats-1")
	flag.Parse()
	if err := run(*data, *k, *repeats); err != nil {
		fmt.Fprintln(os.Stderr, "cvcompare:", err)
		os.Exit(1)
	}
}

func run(dataPath string, k, repeats int) error {
	cfg, err := trainer.LoadConfig("", nil)
	if err != nil {
		return err
	}
	d, err := trainer.ReadCSVFile(dataPath, cfg.Data)
	if err != nil {
		return err
	}

	specs := []struct {
		name string
		spec classifier.Spec
	}{
		{"logistic, median imputation (default)", withType(cfg.Model.Spec, classifier.TypeLogistic, impute.Median)},
		{"logistic, iterative imputation", withType(cfg.Model.Spec, classifier.TypeLogistic, impute.Iterative)},
		{"gbdt, iterative imputation (replaced pipeline)", withType(cfg.Model.Spec, classifier.TypeGBDT, impute.Iterative)},
		{"gbdt, no imputation", withType(cfg.Model.Spec, classifier.TypeGBDT, impute.None)},
	}

	var out report
	for seed := range int64(repeats) {
		folds, err := trainer.StratifiedKFold(d.Y, k, seed)
		if err != nil {
			return err
		}
		out.Folds = append(out.Folds, folds)
	}
	for _, s := range specs {
		c := candidate{Name: s.name}
		for seed := range int64(repeats) {
			scores, err := trainer.CrossValidate(d.X, d.Y, d.Features, s.spec, k, seed)
			if err != nil {
				return fmt.Errorf("%s: %w", s.name, err)
			}
			c.Scores = append(c.Scores, scores...)
		}
		out.Candidates = append(out.Candidates, c)
	}
	return json.NewEncoder(os.Stdout).Encode(out)
}

func withType(spec classifier.Spec, modelType, imputation string) classifier.Spec {
	spec.Type, spec.Imputation = modelType, imputation
	return spec
}
