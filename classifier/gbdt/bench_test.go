package gbdt

import (
	"math"
	"math/rand/v2"
	"testing"
)

// syntheticData returns n rows of two features shaped like the retirement data (age in
// years, savings in dollars), 5% of cells missing, with labels drawn from a logistic model.
func syntheticData(n int, seed uint64) (x [][]float64, y []float64) {
	rng := rand.New(rand.NewPCG(seed, 7))
	x = make([][]float64, n)
	y = make([]float64, n)
	for i := range x {
		age := 20 + 50*rng.Float64()
		savings := math.Exp(12.6 + 0.8*rng.NormFloat64())
		logit := 0.3*(age-48) + 1.5*(math.Log(savings)-12.6)
		if rng.Float64() < 1/(1+math.Exp(-logit)) {
			y[i] = 1
		}
		row := []float64{age, savings}
		for f := range row {
			if rng.Float64() < 0.05 {
				row[f] = math.NaN()
			}
		}
		x[i] = row
	}
	return x, y
}

// BenchmarkTrain trains the pipeline's 300 trees on 100,000 synthetic rows. scripts/bench-gbdt
// measures 1,000,000 rows against xgboost.
func BenchmarkTrain(b *testing.B) {
	x, y := syntheticData(100_000, 1)
	p := pipelineParams()
	for b.Loop() {
		if _, err := Train(x, y, []string{"Age", "Savings"}, p); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPredict predicts 1,000,000 rows with a model of the pipeline's 300 trees.
func BenchmarkPredict(b *testing.B) {
	x, y := syntheticData(1_000_000, 2)
	booster, err := Train(x[:50_000], y[:50_000], []string{"Age", "Savings"}, pipelineParams())
	if err != nil {
		b.Fatal(err)
	}
	out := make([]float64, len(x))
	b.ResetTimer()
	for b.Loop() {
		booster.PredictProba(x, out)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(x)), "ns/row")
}
