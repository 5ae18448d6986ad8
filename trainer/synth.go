package trainer

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"strconv"
)

// SynthOptions sets the size and randomness of a synthetic sample.
type SynthOptions struct {
	Rows int
	Seed int64
	// MissingAge and MissingSavings are the chances that a cell is written as NA.
	MissingAge, MissingSavings float64
}

// MaxSynthRows caps SynthOptions.Rows: 10 million rows make a file of about 400 MB.
const MaxSynthRows = 10_000_000

// DefaultSynthOptions match the real dataset: 500 rows, 4.4% of ages and 3.2% of savings missing.
var DefaultSynthOptions = SynthOptions{Rows: 500, Seed: 7, MissingAge: 0.044, MissingSavings: 0.032}

// classShape is the per-class normal distribution of each feature, with the means and
// standard deviations of the public Bank Customer Retirement dataset (500 rows).
var classShape = [2]struct{ ageMean, ageStd, savingsMean, savingsStd float64 }{
	{ageMean: 41.07, ageStd: 5.32, savingsMean: 390918, savingsStd: 117282},
	{ageMean: 52.54, ageStd: 5.36, savingsMean: 683512, savingsStd: 117224},
}

// Ranges of the real dataset; synthetic values are clipped to them.
const (
	minAge, maxAge         = 25, 70
	minSavings, maxSavings = 33837.93, 1000000
)

// WriteSynthetic writes a synthetic table with the real dataset's columns, ranges and
// class balance (half of the rows are labeled 1). The first line is a comment saying that
// the data is synthetic and how to make it again; ReadCSV skips comment lines before the
// header. It stops with ctx's error when ctx is cancelled.
func WriteSynthetic(ctx context.Context, w io.Writer, opts SynthOptions) error {
	if opts.Rows < 2 || opts.Rows > MaxSynthRows {
		return fmt.Errorf("%w: synthetic rows is %d, want 2 to %d", ErrInvalidConfig, opts.Rows, MaxSynthRows)
	}
	if _, err := fmt.Fprintf(w, "# SYNTHETIC DATA, not real customers: made by `trainer synth --rows %d --seed %d`\n", opts.Rows, opts.Seed); err != nil {
		return err
	}
	rng := rand.New(rand.NewPCG(uint64(opts.Seed), 0x5917))
	out := csv.NewWriter(w)
	if err := out.Write([]string{"Customer ID", "Age", "401K Savings", "Retire"}); err != nil {
		return err
	}
	for i := range opts.Rows {
		if i%10_000 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		label := i % 2
		shape := classShape[label]
		age := clamp(shape.ageMean+shape.ageStd*rng.NormFloat64(), minAge, maxAge)
		savings := clamp(shape.savingsMean+shape.savingsStd*rng.NormFloat64(), minSavings, maxSavings)
		ageCell := strconv.FormatFloat(age, 'f', 8, 64)
		savingsCell := strconv.FormatFloat(savings, 'f', 3, 64)
		if rng.Float64() < opts.MissingAge {
			ageCell = "NA"
		}
		if rng.Float64() < opts.MissingSavings {
			savingsCell = "NA"
		}
		if err := out.Write([]string{strconv.Itoa(i), ageCell, savingsCell, strconv.Itoa(label)}); err != nil {
			return err
		}
	}
	out.Flush()
	return out.Error()
}

func clamp(v, lo, hi float64) float64 { return math.Min(math.Max(v, lo), hi) }
