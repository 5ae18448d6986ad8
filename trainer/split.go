package trainer

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
)

// StratifiedSplit splits row indices into train and test sets so that each class keeps its
// share: round(n_c * testFraction) rows of each class c go to test. The same labels, fraction
// and seed give the same split. Both sets come back in ascending order.
func StratifiedSplit(y []float64, testFraction float64, seed int64) (train, test []int, err error) {
	for _, rows := range classRows(y, seed) {
		n := int(math.Round(float64(len(rows)) * testFraction))
		if n == 0 || n == len(rows) {
			return nil, nil, fmt.Errorf("%w: a class with %d rows cannot be split with split.test_fraction %v: each side needs at least one row of each class, so add rows or change split.test_fraction",
				ErrInvalidData, len(rows), testFraction)
		}
		test = append(test, rows[:n]...)
		train = append(train, rows[n:]...)
	}
	slices.Sort(train)
	slices.Sort(test)
	return train, test, nil
}

// StratifiedKFold assigns row indices to k folds, dealing each class's shuffled rows out in
// turn so that every fold keeps the class shares. It returns the test indices of each fold,
// in ascending order.
func StratifiedKFold(y []float64, k int, seed int64) ([][]int, error) {
	if k < 2 {
		return nil, fmt.Errorf("%w: %d folds, want at least 2", ErrInvalidConfig, k)
	}
	folds := make([][]int, k)
	next := 0
	for _, rows := range classRows(y, seed) {
		if len(rows) < k {
			return nil, fmt.Errorf("%w: a class has %d rows, too few for %d folds: add rows, or lower --cv or model.selection.folds", ErrInvalidData, len(rows), k)
		}
		for _, row := range rows {
			folds[next%k] = append(folds[next%k], row)
			next++
		}
	}
	for _, fold := range folds {
		slices.Sort(fold)
	}
	return folds, nil
}

// Complement returns the indices in [0, n) that are not in sorted.
func Complement(n int, sorted []int) []int {
	out := make([]int, 0, n-len(sorted))
	j := 0
	for i := range n {
		if j < len(sorted) && sorted[j] == i {
			j++
			continue
		}
		out = append(out, i)
	}
	return out
}

// classRows returns the shuffled row indices of class 0, then of class 1.
func classRows(y []float64, seed int64) [][]int {
	rng := rand.New(rand.NewPCG(uint64(seed), 0x5eed))
	var byClass [2][]int
	for i, label := range y {
		c := int(label)
		byClass[c] = append(byClass[c], i)
	}
	for _, rows := range byClass {
		rng.Shuffle(len(rows), func(a, b int) { rows[a], rows[b] = rows[b], rows[a] })
	}
	return byClass[:]
}
