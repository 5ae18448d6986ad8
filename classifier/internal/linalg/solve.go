// Package linalg holds the small dense linear algebra that the classifiers need.
package linalg

import (
	"errors"
	"math"
)

// ErrSingular reports a system without a unique solution.
var ErrSingular = errors.New("singular matrix")

// Solve returns x with a x = b by Gaussian elimination with partial pivoting. It leaves a
// and b unchanged.
func Solve(a [][]float64, b []float64) ([]float64, error) {
	n := len(b)
	m := make([][]float64, n)
	for i := range a {
		m[i] = append(append(make([]float64, 0, n+1), a[i]...), b[i])
	}
	for col := range n {
		pivot := col
		for r := col + 1; r < n; r++ {
			if math.Abs(m[r][col]) > math.Abs(m[pivot][col]) {
				pivot = r
			}
		}
		m[col], m[pivot] = m[pivot], m[col]
		if m[col][col] == 0 {
			return nil, ErrSingular
		}
		for r := col + 1; r < n; r++ {
			f := m[r][col] / m[col][col]
			for c := col; c <= n; c++ {
				m[r][c] -= f * m[col][c]
			}
		}
	}
	x := make([]float64, n)
	for r := n - 1; r >= 0; r-- {
		s := m[r][n]
		for c := r + 1; c < n; c++ {
			s -= m[r][c] * x[c]
		}
		x[r] = s / m[r][r]
	}
	return x, nil
}
