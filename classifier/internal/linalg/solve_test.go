package linalg

import (
	"errors"
	"math"
	"testing"
)

func TestSolve_NeedsPivoting(t *testing.T) {
	// The first pivot is 0, so elimination without row exchange would divide by zero.
	a := [][]float64{{0, 2, 1}, {1, 1, 1}, {2, 1, 3}}
	b := []float64{7, 6, 13}
	x, err := Solve(a, b)
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []float64{1, 2, 3} {
		if math.Abs(x[i]-want) > 1e-12 {
			t.Errorf("x[%d] = %v, want %v", i, x[i], want)
		}
	}
	if a[0][0] != 0 || b[0] != 7 {
		t.Error("Solve changed its inputs")
	}
}

func TestSolve_Singular(t *testing.T) {
	_, err := Solve([][]float64{{1, 2}, {2, 4}}, []float64{1, 2})
	if !errors.Is(err, ErrSingular) {
		t.Errorf("error = %v, want ErrSingular", err)
	}
}
