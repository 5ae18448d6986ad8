package trainer

import (
	"errors"
	"slices"
	"testing"
)

func labels(zeros, ones int) []float64 {
	y := make([]float64, 0, zeros+ones)
	for range zeros {
		y = append(y, 0)
	}
	for range ones {
		y = append(y, 1)
	}
	return y
}

func countOnes(y []float64, rows []int) int {
	n := 0
	for _, r := range rows {
		if y[r] == 1 {
			n++
		}
	}
	return n
}

func TestStratifiedSplit_KeepsClassShares(t *testing.T) {
	y := labels(60, 40)
	train, test, err := StratifiedSplit(y, 0.25, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(test) != 25 {
		t.Errorf("test rows = %d, want 25", len(test))
	}
	if got := countOnes(y, test); got != 10 {
		t.Errorf("test positives = %d, want 10 (25%% of 40)", got)
	}
	all := slices.Concat(train, test)
	slices.Sort(all)
	for i, r := range all {
		if r != i {
			t.Fatalf("train and test together are not a partition: index %d is %d", i, r)
		}
	}
}

func TestStratifiedSplit_SeedDecides(t *testing.T) {
	y := labels(50, 50)
	_, a, _ := StratifiedSplit(y, 0.3, 7)
	_, b, _ := StratifiedSplit(y, 0.3, 7)
	_, c, _ := StratifiedSplit(y, 0.3, 8)
	if !slices.Equal(a, b) {
		t.Error("the same seed gave different splits")
	}
	if slices.Equal(a, c) {
		t.Error("different seeds gave the same split")
	}
}

func TestStratifiedSplit_OneClassFails(t *testing.T) {
	if _, _, err := StratifiedSplit(labels(10, 0), 0.25, 1); !errors.Is(err, ErrInvalidData) {
		t.Errorf("error = %v, want ErrInvalidData", err)
	}
}

func TestStratifiedKFold_Partition(t *testing.T) {
	y := labels(23, 17)
	folds, err := StratifiedKFold(y, 5, 3)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[int]bool{}
	for i, fold := range folds {
		if n := len(fold); n != 8 {
			t.Errorf("fold %d has %d rows, want 8", i, n)
		}
		if ones := countOnes(y, fold); ones < 3 || ones > 4 {
			t.Errorf("fold %d has %d positives, want 3 or 4", i, ones)
		}
		for _, r := range fold {
			if seen[r] {
				t.Errorf("row %d is in two folds", r)
			}
			seen[r] = true
		}
	}
	if len(seen) != len(y) {
		t.Errorf("folds cover %d rows, want %d", len(seen), len(y))
	}
}

func TestStratifiedKFold_TooFewRows(t *testing.T) {
	if _, err := StratifiedKFold(labels(10, 3), 5, 1); !errors.Is(err, ErrInvalidData) {
		t.Errorf("error = %v, want ErrInvalidData", err)
	}
	if _, err := StratifiedKFold(labels(10, 10), 1, 1); !errors.Is(err, ErrInvalidConfig) {
		t.Errorf("error = %v, want ErrInvalidConfig", err)
	}
}

func TestComplement(t *testing.T) {
	if got := Complement(6, []int{1, 4}); !slices.Equal(got, []int{0, 2, 3, 5}) {
		t.Errorf("Complement = %v, want [0 2 3 5]", got)
	}
}
