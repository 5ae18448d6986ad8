// Package metrics computes binary classification scores from labels and predicted
// probabilities. Labels are 0 or 1; probabilities are P(label = 1).
package metrics

import (
	"math"
	"sort"
)

// Threshold is the probability at or above which a prediction counts as class 1.
const Threshold = 0.5

// logLossEpsilon clips probabilities away from 0 and 1 so that log loss stays finite,
// the same clipping as scikit-learn's log_loss before version 1.5.
const logLossEpsilon = 1e-15

// Confusion counts rows by true and predicted class.
type Confusion struct {
	TrueNegatives, FalsePositives, FalseNegatives, TruePositives int
}

// Label returns the predicted class of probability p.
func Label(p float64) int {
	if p >= Threshold {
		return 1
	}
	return 0
}

// ConfusionMatrix counts y against the labels of p at Threshold.
func ConfusionMatrix(y, p []float64) Confusion {
	var c Confusion
	for i := range y {
		switch {
		case y[i] == 1 && Label(p[i]) == 1:
			c.TruePositives++
		case y[i] == 1:
			c.FalseNegatives++
		case Label(p[i]) == 1:
			c.FalsePositives++
		default:
			c.TrueNegatives++
		}
	}
	return c
}

// Accuracy returns the share of rows whose label at Threshold equals y, or NaN for no rows.
func Accuracy(y, p []float64) float64 {
	if len(y) == 0 {
		return math.NaN()
	}
	c := ConfusionMatrix(y, p)
	return float64(c.TrueNegatives+c.TruePositives) / float64(len(y))
}

// LogLoss returns the mean binary cross-entropy in nats, or NaN for no rows.
func LogLoss(y, p []float64) float64 {
	if len(y) == 0 {
		return math.NaN()
	}
	var sum float64
	for i := range y {
		q := math.Min(math.Max(p[i], logLossEpsilon), 1-logLossEpsilon)
		if y[i] == 1 {
			sum -= math.Log(q)
		} else {
			sum -= math.Log(1 - q)
		}
	}
	return sum / float64(len(y))
}

// ROCAUC returns the area under the ROC curve: the probability that a random positive row
// scores higher than a random negative one, counting ties as one half. It returns NaN when
// y holds only one class, where the area is undefined.
func ROCAUC(y, p []float64) float64 {
	order := make([]int, len(p))
	for i := range order {
		order[i] = i
	}
	sort.Slice(order, func(a, b int) bool { return p[order[a]] < p[order[b]] })

	// Sum the average ranks of the positives (Mann-Whitney U), giving tied scores their mean rank.
	var positives, negatives int
	var rankSum float64
	for start := 0; start < len(order); {
		end := start
		for end < len(order) && p[order[end]] == p[order[start]] {
			end++
		}
		meanRank := float64(start+end+1) / 2
		for _, i := range order[start:end] {
			if y[i] == 1 {
				positives++
				rankSum += meanRank
			} else {
				negatives++
			}
		}
		start = end
	}
	if positives == 0 || negatives == 0 {
		return math.NaN()
	}
	u := rankSum - float64(positives)*float64(positives+1)/2
	return u / (float64(positives) * float64(negatives))
}

// MeanStd returns the mean and the population standard deviation of xs, as numpy's
// mean and std with their default ddof=0 compute them.
func MeanStd(xs []float64) (mean, std float64) {
	if len(xs) == 0 {
		return math.NaN(), math.NaN()
	}
	for _, x := range xs {
		mean += x
	}
	mean /= float64(len(xs))
	for _, x := range xs {
		std += (x - mean) * (x - mean)
	}
	return mean, math.Sqrt(std / float64(len(xs)))
}
