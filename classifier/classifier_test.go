package classifier

import (
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/bankml/retire/classifier/gbdt"
	"github.com/bankml/retire/classifier/impute"
)

var features = []string{"Age", "Savings"}

// sample returns rows whose class follows age and savings, with some cells missing.
func sample(n int) ([][]float64, []float64) {
	rng := rand.New(rand.NewPCG(11, 12))
	x := make([][]float64, n)
	y := make([]float64, n)
	for i := range n {
		label := float64(i % 2)
		age := 40 + 12*label + 5*rng.NormFloat64()
		savings := 4e5 + 3e5*label + 1e5*rng.NormFloat64()
		if i%17 == 0 {
			age = math.NaN()
		}
		if i%23 == 0 {
			savings = math.NaN()
		}
		x[i] = []float64{age, savings}
		y[i] = label
	}
	return x, y
}

func specFor(modelType, imputation string) Spec {
	p := gbdt.DefaultParams()
	p.NEstimators = 20
	return Spec{Type: modelType, Imputation: imputation, GBDT: p}
}

func TestFit_LoadRoundTrip(t *testing.T) {
	x, y := sample(300)
	for _, spec := range []Spec{specFor(TypeLogistic, impute.Median), specFor(TypeLogistic, impute.Iterative), specFor(TypeGBDT, impute.None), specFor(TypeGBDT, impute.Iterative)} {
		t.Run(spec.Type+"/"+spec.Imputation, func(t *testing.T) {
			p, err := Fit(x, y, features, spec)
			if err != nil {
				t.Fatal(err)
			}
			weights, err := p.MarshalWeights()
			if err != nil {
				t.Fatal(err)
			}
			pre, err := p.MarshalPreprocessing()
			if err != nil {
				t.Fatal(err)
			}
			loaded, err := Load(p.Format, weights, pre, features)
			if err != nil {
				t.Fatal(err)
			}
			if loaded.Type != spec.Type {
				t.Errorf("loaded type = %q, want %q", loaded.Type, spec.Type)
			}
			want, err := p.PredictProba(x)
			if err != nil {
				t.Fatal(err)
			}
			got, err := loaded.PredictProba(x)
			if err != nil {
				t.Fatal(err)
			}
			for i := range want {
				if got[i] != want[i] {
					t.Fatalf("row %d: loaded model predicts %v, fitted model %v", i, got[i], want[i])
				}
			}
			correct := 0
			for i := range want {
				if (want[i] >= 0.5) == (y[i] == 1) {
					correct++
				}
			}
			if acc := float64(correct) / float64(len(y)); acc < 0.85 {
				t.Errorf("training accuracy = %.3f, want at least 0.85", acc)
			}
		})
	}
}

func TestPredictProba_KeepsInputRows(t *testing.T) {
	x, y := sample(100)
	p, err := Fit(x, y, features, specFor(TypeLogistic, impute.Median))
	if err != nil {
		t.Fatal(err)
	}
	rows := [][]float64{{math.NaN(), 5e5}}
	if _, err := p.PredictProba(rows); err != nil {
		t.Fatal(err)
	}
	if !math.IsNaN(rows[0][0]) {
		t.Errorf("PredictProba imputed the caller's row in place: %v", rows[0])
	}
}

func TestPredictProba_WrongWidth(t *testing.T) {
	x, y := sample(100)
	p, err := Fit(x, y, features, specFor(TypeGBDT, impute.None))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.PredictProba([][]float64{{1}}); !errors.Is(err, ErrInvalid) {
		t.Errorf("error = %v, want ErrInvalid", err)
	}
}

func TestFit_Rejects(t *testing.T) {
	x, y := sample(50)
	tests := []struct {
		name string
		spec Spec
		want string
	}{
		{"logistic without imputation", specFor(TypeLogistic, impute.None), "cannot take missing values"},
		{"unknown type", specFor("forest", impute.Median), `model type "forest"`},
		{"unknown imputation", specFor(TypeGBDT, "mode"), "imputation"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Fit(x, y, features, tt.spec)
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error = %v, want ErrInvalid", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not mention %q", err, tt.want)
			}
		})
	}
}

func TestLoad_Rejects(t *testing.T) {
	x, y := sample(100)
	logistic, err := Fit(x, y, features, specFor(TypeLogistic, impute.Median))
	if err != nil {
		t.Fatal(err)
	}
	logisticWeights, _ := logistic.MarshalWeights()
	logisticPre, _ := logistic.MarshalPreprocessing()
	trees, err := Fit(x, y, features, specFor(TypeGBDT, impute.None))
	if err != nil {
		t.Fatal(err)
	}
	treeWeights, _ := trees.MarshalWeights()

	tests := []struct {
		name          string
		format        string
		weights       []byte
		preprocessing string
		features      []string
		want          string
	}{
		{"unknown format", "onnx", logisticWeights, string(logisticPre), features, `unknown weights format "onnx"`},
		{"logistic without imputation", FormatLogistic, logisticWeights, `{"imputation":{"strategy":"none"}}`, features, "needs an imputation step"},
		{"logistic feature mismatch", FormatLogistic, logisticWeights, string(logisticPre), []string{"Savings", "Age"}, "do not match"},
		{"gbdt feature mismatch", FormatXGBoost, treeWeights, "", []string{"Age", "Income"}, "Income"},
		{"gbdt given logistic weights", FormatXGBoost, logisticWeights, "", features, "invalid"},
		{"bad preprocessing", FormatLogistic, logisticWeights, `{"imputation":{"strategy":"median","fill":[1]}}`, features, "preprocessing"},
		{"preprocessing not json", FormatLogistic, logisticWeights, `{`, features, "preprocessing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(tt.format, tt.weights, []byte(tt.preprocessing), tt.features)
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error = %v, want ErrInvalid", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not mention %q", err, tt.want)
			}
		})
	}
}
