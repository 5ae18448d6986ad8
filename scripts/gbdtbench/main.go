// Command gbdtbench generates the synthetic data of scripts/bench-gbdt and measures the
// training and prediction speed of classifier/gbdt on it.
//
//	gbdtbench gen -rows 1000000 -seed 1 -out DIR
//	gbdtbench train -data DIR -threads 2 -model DIR/ours.json
//
// gen writes DIR/x.f64 (rows x 2 float64, row-major, little-endian, NaN = missing) and
// DIR/y.f64 (one 0/1 float64 per row). train fits the first 80% of the rows with the
// hyperparameters of the retirement pipeline, scores the other 20%, times the prediction of
// all rows, and prints the figures as key=value lines.
package main

import (
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"github.com/bankml/retire/classifier/gbdt"
	"github.com/bankml/retire/classifier/metrics"
	"github.com/bankml/retire/trainer"
)

// numFeatures is the number of columns of the synthetic data: age and savings.
const numFeatures = 2

// trainFraction is the share of rows used for training; the rest is the held-out part.
const trainFraction = 0.8

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: gbdtbench gen|train [flags]")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "gen":
		err = runGen(os.Args[2:])
	case "train":
		err = runTrain(os.Args[2:])
	default:
		err = fmt.Errorf("unknown command %q, expected gen or train", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "gbdtbench:", err)
		os.Exit(1)
	}
}

func runGen(args []string) error {
	fs := flag.NewFlagSet("gen", flag.ContinueOnError)
	rows := fs.Int("rows", 1_000_000, "number of rows to generate")
	seed := fs.Uint64("seed", 1, "random seed")
	missing := fs.Float64("missing", 0.05, "probability that a cell is missing (NaN)")
	out := fs.String("out", "", "output directory (required)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *out == "" || *rows < 1 {
		return errors.New("gen: -out is required and -rows must be >= 1")
	}

	x, y := generate(*rows, *seed, *missing)
	if err := writeFloats(filepath.Join(*out, "x.f64"), x); err != nil {
		return err
	}
	return writeFloats(filepath.Join(*out, "y.f64"), y)
}

// generate draws customers with an age in [20, 70) years and log-normal savings in dollars,
// and a retirement label whose log-odds rise with both, with a wave in age so that trees
// have more to find than a straight line.
func generate(rows int, seed uint64, missing float64) (x, y []float64) {
	rng := rand.New(rand.NewPCG(seed, 0x72657469726521))
	x = make([]float64, rows*numFeatures)
	y = make([]float64, rows)
	for i := range rows {
		age := 20 + 50*rng.Float64()
		savings := math.Exp(12.6 + 0.8*rng.NormFloat64())
		logit := 0.3*(age-48) + 1.5*(math.Log(savings)-12.6) + 0.8*math.Sin(age/4)
		if rng.Float64() < 1/(1+math.Exp(-logit)) {
			y[i] = 1
		}
		x[i*numFeatures] = age
		x[i*numFeatures+1] = math.Round(savings*100) / 100
		for f := range numFeatures {
			if rng.Float64() < missing {
				x[i*numFeatures+f] = math.NaN()
			}
		}
	}
	return x, y
}

func runTrain(args []string) error {
	fs := flag.NewFlagSet("train", flag.ContinueOnError)
	data := fs.String("data", "", "directory written by gen (required)")
	threads := fs.Int("threads", 2, "goroutines for training and prediction (sets GOMAXPROCS)")
	model := fs.String("model", "", "file to save the trained model to (optional)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *data == "" {
		return errors.New("train: -data is required")
	}
	runtime.GOMAXPROCS(*threads)

	x, err := readFloats(filepath.Join(*data, "x.f64"))
	if err != nil {
		return err
	}
	y, err := readFloats(filepath.Join(*data, "y.f64"))
	if err != nil {
		return err
	}
	if len(x) != len(y)*numFeatures {
		return fmt.Errorf("train: x.f64 has %d values for %d labels, expected %d columns", len(x), len(y), numFeatures)
	}
	rows := make([][]float64, len(y))
	for i := range rows {
		rows[i] = x[i*numFeatures : (i+1)*numFeatures]
	}
	nTrain := int(trainFraction * float64(len(y)))

	// The trainer's default gbdt settings are the replaced pipeline's hyperparameters.
	cfg, err := trainer.LoadConfig("", nil)
	if err != nil {
		return err
	}
	p := cfg.Model.GBDT
	p.NumThreads = *threads
	start := time.Now()
	b, err := gbdt.Train(rows[:nTrain], y[:nTrain], []string{"Age", "Savings"}, p)
	if err != nil {
		return err
	}
	trainTime := time.Since(start)

	proba := make([]float64, len(y))
	start = time.Now()
	if err := b.PredictProbaDense(x, numFeatures, proba); err != nil {
		return err
	}
	denseTime := time.Since(start)
	start = time.Now()
	b.PredictProba(rows, proba)
	rowsTime := time.Since(start)

	fmt.Printf("train_rows=%d\n", nTrain)
	fmt.Printf("train_seconds=%.3f\n", trainTime.Seconds())
	fmt.Printf("test_auc=%.6f\n", metrics.ROCAUC(y[nTrain:], proba[nTrain:]))
	fmt.Printf("predict_rows=%d\n", len(y))
	fmt.Printf("predict_dense_seconds=%.3f\n", denseTime.Seconds())
	fmt.Printf("predict_rows_seconds=%.3f\n", rowsTime.Seconds())

	if *model != "" {
		out, err := b.MarshalJSON()
		if err != nil {
			return err
		}
		if err := os.WriteFile(*model, out, 0o644); err != nil {
			return fmt.Errorf("train: save model: %w", err)
		}
	}
	return nil
}

func writeFloats(path string, values []float64) error {
	buf := make([]byte, 8*len(values))
	for i, v := range values {
		binary.LittleEndian.PutUint64(buf[8*i:], math.Float64bits(v))
	}
	if err := os.WriteFile(path, buf, 0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

func readFloats(path string) ([]float64, error) {
	buf, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if len(buf)%8 != 0 {
		return nil, fmt.Errorf("read %s: %d bytes is not a whole number of float64 values", path, len(buf))
	}
	values := make([]float64, len(buf)/8)
	for i := range values {
		values[i] = math.Float64frombits(binary.LittleEndian.Uint64(buf[8*i:]))
	}
	return values, nil
}
