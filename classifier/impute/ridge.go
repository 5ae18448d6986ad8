package impute

import (
	"math"
	"slices"
	"sort"

	"github.com/bankml/retire/classifier/internal/linalg"
)

// fitRidge regresses feature target on the other features of filled, using only rows
// where original observes target. The predictors are standardized so that the penalty
// treats them alike, and the coefficients are returned in the original units.
func fitRidge(filled, original [][]float64, target int, ridge float64) Regression {
	cols := len(filled[0])
	var predictors []int
	for j := range cols {
		if j != target {
			predictors = append(predictors, j)
		}
	}

	var rows []int
	for i, row := range original {
		if !math.IsNaN(row[target]) {
			rows = append(rows, i)
		}
	}

	// Means and scales of the predictors and the target over the fitting rows.
	k := len(predictors)
	means := make([]float64, k)
	scales := make([]float64, k)
	var targetMean float64
	for _, i := range rows {
		for a, j := range predictors {
			means[a] += filled[i][j]
		}
		targetMean += filled[i][target]
	}
	n := float64(len(rows))
	for a := range means {
		means[a] /= n
	}
	targetMean /= n
	for _, i := range rows {
		for a, j := range predictors {
			d := filled[i][j] - means[a]
			scales[a] += d * d
		}
	}
	for a := range scales {
		scales[a] = math.Sqrt(scales[a] / n)
		if scales[a] == 0 {
			scales[a] = 1
		}
	}

	// Normal equations (Z'Z/n + ridge I) b = Z'y/n on the standardized predictors Z.
	gram := make([][]float64, k)
	for a := range gram {
		gram[a] = make([]float64, k)
	}
	rhs := make([]float64, k)
	z := make([]float64, k)
	for _, i := range rows {
		for a, j := range predictors {
			z[a] = (filled[i][j] - means[a]) / scales[a]
		}
		dy := filled[i][target] - targetMean
		for a := range k {
			rhs[a] += z[a] * dy / n
			for b := range k {
				gram[a][b] += z[a] * z[b] / n
			}
		}
	}
	for a := range k {
		gram[a][a] += ridge
	}
	beta, err := linalg.Solve(gram, rhs)
	if err != nil {
		// The ridge term keeps the Gram matrix positive definite, so this needs ridge == 0
		// and a constant predictor. Fall back to the mean.
		beta = make([]float64, k)
	}

	reg := Regression{Target: target, Intercept: targetMean, Coefficients: make([]float64, cols)}
	for a, j := range predictors {
		c := beta[a] / scales[a]
		reg.Coefficients[j] = c
		reg.Intercept -= c * means[a]
	}
	return reg
}

func observed(x [][]float64, j int) []float64 {
	var values []float64
	for _, row := range x {
		if !math.IsNaN(row[j]) {
			values = append(values, row[j])
		}
	}
	return values
}

func mean(values []float64) float64 {
	var s float64
	for _, v := range values {
		s += v
	}
	return s / float64(len(values))
}

func median(values []float64) float64 {
	sorted := slices.Clone(values)
	sort.Float64s(sorted)
	mid := len(sorted) / 2
	if len(sorted)%2 == 1 {
		return sorted[mid]
	}
	return (sorted[mid-1] + sorted[mid]) / 2
}
