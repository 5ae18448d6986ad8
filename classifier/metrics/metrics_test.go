package metrics

import (
	"math"
	"testing"
)

func near(a, b float64) bool { return math.Abs(a-b) < 1e-12 }

func TestConfusionMatrix_HandCounted(t *testing.T) {
	y := []float64{0, 0, 1, 1, 1, 0}
	p := []float64{0.1, 0.6, 0.7, 0.4, 0.5, 0.49}
	got := ConfusionMatrix(y, p)
	want := Confusion{TrueNegatives: 2, FalsePositives: 1, FalseNegatives: 1, TruePositives: 2}
	if got != want {
		t.Fatalf("ConfusionMatrix = %+v, want %+v", got, want)
	}
	if acc := Accuracy(y, p); !near(acc, 4.0/6) {
		t.Errorf("Accuracy = %v, want %v", acc, 4.0/6)
	}
}

func TestLogLoss_HandComputed(t *testing.T) {
	y := []float64{1, 0, 1}
	p := []float64{0.9, 0.2, 0.5}
	want := -(math.Log(0.9) + math.Log(0.8) + math.Log(0.5)) / 3
	if got := LogLoss(y, p); !near(got, want) {
		t.Errorf("LogLoss = %v, want %v", got, want)
	}
	if got := LogLoss([]float64{1}, []float64{0}); math.IsInf(got, 0) || !near(got, -math.Log(logLossEpsilon)) {
		t.Errorf("LogLoss of a certain wrong prediction = %v, want the clipped %v", got, -math.Log(logLossEpsilon))
	}
}

func TestROCAUC_HandComputed(t *testing.T) {
	tests := []struct {
		name string
		y, p []float64
		want float64
	}{
		{"perfect", []float64{0, 0, 1, 1}, []float64{0.1, 0.2, 0.8, 0.9}, 1},
		{"reversed", []float64{0, 0, 1, 1}, []float64{0.9, 0.8, 0.2, 0.1}, 0},
		// Pairs (pos, neg): (0.35>0.1) (0.35<0.4) (0.8>0.1) (0.8>0.4) = 3 of 4.
		{"sklearn example", []float64{0, 0, 1, 1}, []float64{0.1, 0.4, 0.35, 0.8}, 0.75},
		// One tie between a positive and a negative counts as one half: (1 + 0.5) / 2.
		{"tie", []float64{0, 1, 1}, []float64{0.5, 0.5, 0.9}, 0.75},
		{"all tied", []float64{0, 1, 0, 1}, []float64{0.3, 0.3, 0.3, 0.3}, 0.5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ROCAUC(tt.y, tt.p); !near(got, tt.want) {
				t.Errorf("ROCAUC = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestROCAUC_OneClassIsNaN(t *testing.T) {
	if got := ROCAUC([]float64{1, 1}, []float64{0.2, 0.7}); !math.IsNaN(got) {
		t.Errorf("ROCAUC with one class = %v, want NaN", got)
	}
}

func TestMeanStd_Population(t *testing.T) {
	mean, std := MeanStd([]float64{2, 4, 4, 4, 5, 5, 7, 9})
	if !near(mean, 5) {
		t.Errorf("mean = %v, want 5", mean)
	}
	if !near(std, 2) {
		t.Errorf("std = %v, want 2", std)
	}
}
