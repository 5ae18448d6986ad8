package impute

import (
	"encoding/json"
	"errors"
	"math"
	"testing"
)

var nan = math.NaN()

func TestFit_MedianFillsMissing(t *testing.T) {
	x := [][]float64{{1, 10}, {3, nan}, {nan, 30}, {5, 40}}
	imp, err := Fit(x, Median, Options{})
	if err != nil {
		t.Fatal(err)
	}
	row := []float64{nan, nan}
	if err := imp.Transform(row); err != nil {
		t.Fatal(err)
	}
	if row[0] != 3 {
		t.Errorf("Age fill = %v, want median 3", row[0])
	}
	if row[1] != 30 {
		t.Errorf("Savings fill = %v, want median 30", row[1])
	}
}

func TestFit_IterativeRecoversLinearRelation(t *testing.T) {
	// y = 2x + 1 exactly, with some y and some x missing.
	var x [][]float64
	for i := range 50 {
		v := float64(i)
		x = append(x, []float64{v, 2*v + 1})
	}
	x[10][1] = nan
	x[20][0] = nan
	imp, err := Fit(x, Iterative, Options{})
	if err != nil {
		t.Fatal(err)
	}

	row := []float64{10, nan}
	if err := imp.Transform(row); err != nil {
		t.Fatal(err)
	}
	if math.Abs(row[1]-21) > 0.1 {
		t.Errorf("imputed y for x=10 = %v, want about 21", row[1])
	}
	row = []float64{nan, 41}
	if err := imp.Transform(row); err != nil {
		t.Fatal(err)
	}
	if math.Abs(row[0]-20) > 0.1 {
		t.Errorf("imputed x for y=41 = %v, want about 20", row[0])
	}
}

func TestTransform_ObservedValuesUntouched(t *testing.T) {
	x := [][]float64{{1, 10}, {2, nan}, {nan, 30}, {4, 40}}
	for _, strategy := range []string{Median, Iterative, None} {
		imp, err := Fit(x, strategy, Options{})
		if err != nil {
			t.Fatal(err)
		}
		row := []float64{7, 70}
		if err := imp.Transform(row); err != nil {
			t.Fatal(err)
		}
		if row[0] != 7 || row[1] != 70 {
			t.Errorf("%s changed an observed row to %v", strategy, row)
		}
	}
}

func TestTransform_IterativeClipsToTrainingRange(t *testing.T) {
	var x [][]float64
	for i := range 20 {
		v := float64(i)
		x = append(x, []float64{v, v})
	}
	x[0][1] = nan
	imp, err := Fit(x, Iterative, Options{})
	if err != nil {
		t.Fatal(err)
	}
	row := []float64{1000, nan}
	if err := imp.Transform(row); err != nil {
		t.Fatal(err)
	}
	if row[1] != 19 {
		t.Errorf("imputed value = %v, want the training max 19", row[1])
	}
}

func TestImputer_JSONRoundTrip(t *testing.T) {
	x := [][]float64{{1, 10}, {2, nan}, {nan, 30}, {4, 40}, {5, 52}}
	imp, err := Fit(x, Iterative, Options{})
	if err != nil {
		t.Fatal(err)
	}
	data, err := json.Marshal(imp)
	if err != nil {
		t.Fatal(err)
	}
	var loaded Imputer
	if err := json.Unmarshal(data, &loaded); err != nil {
		t.Fatal(err)
	}
	if err := loaded.Validate(2); err != nil {
		t.Fatal(err)
	}
	a, b := []float64{nan, 25}, []float64{nan, 25}
	if err := imp.Transform(a); err != nil {
		t.Fatal(err)
	}
	if err := loaded.Transform(b); err != nil {
		t.Fatal(err)
	}
	if a[0] != b[0] {
		t.Errorf("loaded imputer gives %v, original %v", b[0], a[0])
	}
}

func TestFit_Errors(t *testing.T) {
	tests := []struct {
		name     string
		x        [][]float64
		strategy string
	}{
		{"unknown strategy", [][]float64{{1}}, "mode"},
		{"no rows", nil, Median},
		{"feature never observed", [][]float64{{1, nan}, {2, nan}}, Median},
		{"feature never observed iterative", [][]float64{{1, nan}, {2, nan}}, Iterative},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Fit(tt.x, tt.strategy, Options{}); !errors.Is(err, ErrInvalid) {
				t.Errorf("Fit error = %v, want ErrInvalid", err)
			}
		})
	}
}

func TestValidate_RejectsBadImputer(t *testing.T) {
	tests := []struct {
		name string
		imp  Imputer
	}{
		{"unknown strategy", Imputer{Strategy: "mode"}},
		{"wrong width", Imputer{Strategy: Median, Fill: []float64{1}}},
		{"infinite fill", Imputer{Strategy: Median, Fill: []float64{1, math.Inf(1)}}},
		{"missing bounds", Imputer{Strategy: Iterative, Fill: []float64{1, 2}}},
		{"target out of range", Imputer{Strategy: Iterative, Fill: []float64{1, 2}, Min: []float64{0, 0}, Max: []float64{3, 3},
			Rounds: [][]Regression{{{Target: 5, Coefficients: []float64{0, 1}}}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.imp.Validate(2); !errors.Is(err, ErrInvalid) {
				t.Errorf("Validate error = %v, want ErrInvalid", err)
			}
		})
	}
}

func TestTransform_WrongWidth(t *testing.T) {
	imp := &Imputer{Strategy: Median, Fill: []float64{1, 2}}
	if err := imp.Transform([]float64{nan}); !errors.Is(err, ErrInvalid) {
		t.Errorf("Transform error = %v, want ErrInvalid", err)
	}
}
