package linear

import (
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
)

// syntheticRows returns rows whose class depends on a x0 + b x1 with logistic noise.
func syntheticRows(n int, seed uint64) ([][]float64, []float64) {
	rng := rand.New(rand.NewPCG(seed, 1))
	x := make([][]float64, n)
	y := make([]float64, n)
	for i := range n {
		age := 25 + 45*rng.Float64()
		savings := 1e4 + 9e5*rng.Float64()
		x[i] = []float64{age, savings}
		logit := 0.3*(age-50) + 8e-6*(savings-5e5)
		if rng.Float64() < 1/(1+math.Exp(-logit)) {
			y[i] = 1
		}
	}
	return x, y
}

func TestFit_SeparatesClasses(t *testing.T) {
	x, y := syntheticRows(400, 1)
	m, err := Fit(x, y, []string{"Age", "Savings"}, Params{})
	if err != nil {
		t.Fatal(err)
	}
	if m.Coefficients[0] <= 0 || m.Coefficients[1] <= 0 {
		t.Errorf("coefficients = %v, want both positive", m.Coefficients)
	}
	p := make([]float64, len(x))
	m.PredictProba(x, p)
	correct := 0
	for i := range p {
		if (p[i] >= 0.5) == (y[i] == 1) {
			correct++
		}
	}
	if acc := float64(correct) / float64(len(x)); acc < 0.8 {
		t.Errorf("training accuracy = %.3f, want at least 0.8", acc)
	}
}

func TestFit_StrongerPenaltyShrinks(t *testing.T) {
	x, y := syntheticRows(300, 2)
	loose, err := Fit(x, y, []string{"a", "b"}, Params{C: 100})
	if err != nil {
		t.Fatal(err)
	}
	tight, err := Fit(x, y, []string{"a", "b"}, Params{C: 0.01})
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(tight.Coefficients[0]) >= math.Abs(loose.Coefficients[0]) {
		t.Errorf("|w| with C=0.01 is %v, want below |w| with C=100, %v", tight.Coefficients[0], loose.Coefficients[0])
	}
}

func TestFit_RejectsBadInput(t *testing.T) {
	tests := []struct {
		name string
		x    [][]float64
		y    []float64
		p    Params
	}{
		{"no rows", nil, nil, Params{}},
		{"label count", [][]float64{{1, 2}}, []float64{0, 1}, Params{}},
		{"missing value", [][]float64{{1, math.NaN()}}, []float64{0}, Params{}},
		{"label 2", [][]float64{{1, 2}}, []float64{2}, Params{}},
		{"row width", [][]float64{{1}}, []float64{0}, Params{}},
		{"negative C", [][]float64{{1, 2}}, []float64{0}, Params{C: -1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Fit(tt.x, tt.y, []string{"a", "b"}, tt.p); !errors.Is(err, ErrInvalid) {
				t.Errorf("Fit error = %v, want ErrInvalid", err)
			}
		})
	}
}

func TestLoad_RoundTrip(t *testing.T) {
	x, y := syntheticRows(100, 3)
	m, err := Fit(x, y, []string{"Age", "Savings"}, Params{})
	if err != nil {
		t.Fatal(err)
	}
	data, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	loaded, err := Load(data, []string{"Age", "Savings"})
	if err != nil {
		t.Fatal(err)
	}
	a, b := make([]float64, len(x)), make([]float64, len(x))
	m.PredictProba(x, a)
	loaded.PredictProba(x, b)
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("row %d: loaded model predicts %v, original %v", i, b[i], a[i])
		}
	}
}

func TestLoad_RejectsBadModel(t *testing.T) {
	good := `{"format":"logistic-json/v1","features":["Age","Savings"],"mean":[1,2],"scale":[1,1],"coefficients":[0.5,0.5],"intercept":0}`
	tests := []struct {
		name, data, wantText string
		features             []string
	}{
		{"not json", `{`, "unexpected end", []string{"Age", "Savings"}},
		{"wrong format", strings.Replace(good, "logistic-json/v1", "xgboost-json", 1), "format", []string{"Age", "Savings"}},
		{"feature mismatch", good, "do not match", []string{"Savings", "Age"}},
		{"short coefficients", strings.Replace(good, "[0.5,0.5]", "[0.5]", 1), "coefficients", []string{"Age", "Savings"}},
		{"zero scale", strings.Replace(good, `"scale":[1,1]`, `"scale":[0,1]`, 1), "scale", []string{"Age", "Savings"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load([]byte(tt.data), tt.features)
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("Load error = %v, want ErrInvalid", err)
			}
			if !strings.Contains(err.Error(), tt.wantText) {
				t.Errorf("Load error %q does not mention %q", err, tt.wantText)
			}
		})
	}
}

// TestFit_MatchesScikitLearn fits scikit-learn's LogisticRegression (the same penalized
// objective on the same standardized features) and compares the coefficients.
func TestFit_MatchesScikitLearn(t *testing.T) {
	python := "/usr/bin/python3"
	if err := exec.Command(python, "-c", "import sklearn").Run(); err != nil {
		if os.Getenv("REQUIRE_PYTHON") == "1" {
			t.Fatalf("REQUIRE_PYTHON=1 but %s cannot import sklearn: %v", python, err)
		}
		t.Skipf("skipping: %s cannot import sklearn (install python3-sklearn): %v", python, err)
	}
	x, y := syntheticRows(300, 4)
	m, err := Fit(x, y, []string{"a", "b"}, Params{C: 0.5})
	if err != nil {
		t.Fatal(err)
	}

	var input strings.Builder
	for i, row := range x {
		input.WriteString(strconv.FormatFloat(row[0], 'g', -1, 64) + "," + strconv.FormatFloat(row[1], 'g', -1, 64) + "," + strconv.FormatFloat(y[i], 'g', -1, 64) + "\n")
	}
	script := `
import sys, numpy as np
from sklearn.linear_model import LogisticRegression
d = np.loadtxt(sys.stdin, delimiter=",")
X, y = d[:, :2], d[:, 2]
Z = (X - X.mean(axis=0)) / X.std(axis=0)
m = LogisticRegression(C=0.5, tol=1e-12, max_iter=10000).fit(Z, y)
print(m.coef_[0][0], m.coef_[0][1], m.intercept_[0])
`
	cmd := exec.Command(python, "-c", script)
	cmd.Stdin = strings.NewReader(input.String())
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("scikit-learn failed: %v\n%s", err, out)
	}
	fields := strings.Fields(string(out))
	want := make([]float64, 3)
	for i := range want {
		if want[i], err = strconv.ParseFloat(fields[i], 64); err != nil {
			t.Fatalf("parse scikit-learn output %q: %v", out, err)
		}
	}
	got := []float64{m.Coefficients[0], m.Coefficients[1], m.Intercept}
	for i := range got {
		if math.Abs(got[i]-want[i]) > 1e-5 {
			t.Errorf("parameter %d = %.8f, scikit-learn %.8f", i, got[i], want[i])
		}
	}
}
