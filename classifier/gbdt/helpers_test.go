package gbdt

import (
	"encoding/csv"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// sharedDir returns the directory ../shared next to the repository root, found by walking
// up from the package directory to the directory that contains go.mod, or "" when there is no
// go.mod above.
func sharedDir() string {
	dir, err := os.Getwd()
	if err != nil {
		return ""
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, "..", "shared")
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

// sharedPath returns the path of rel under the shared directory and skips the test when
// the file is absent.
func sharedPath(tb testing.TB, rel string) string {
	tb.Helper()
	path := filepath.Join(sharedDir(), rel)
	if _, err := os.Stat(path); sharedDir() == "" || err != nil {
		tb.Skipf("shared file %s is absent, so this test cannot run", path)
	}
	return path
}

// sharedModelPath returns the path of the model written by xgboost 1.7.4, or "" when the
// shared directory is absent.
func sharedModelPath() string {
	if sharedDir() == "" {
		return ""
	}
	return filepath.Join(sharedDir(), "data", "xgboost-1.7.4", "model.json")
}

// readCSV reads a CSV file with a header line and returns its rows as strings.
func readCSV(tb testing.TB, path string) (header []string, rows [][]string) {
	tb.Helper()
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	records, err := csv.NewReader(f).ReadAll()
	if err != nil {
		tb.Fatalf("read %s: %v", path, err)
	}
	if len(records) < 2 {
		tb.Fatalf("%s has no data rows", path)
	}
	return records[0], records[1:]
}

// parseCell parses a numeric CSV cell, with NA as a missing value.
func parseCell(tb testing.TB, s string) float64 {
	tb.Helper()
	if s == "NA" || s == "" {
		return math.NaN()
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		tb.Fatalf("parse cell %q: %v", s, err)
	}
	return v
}

// retirementData is the bank customer retirement dataset: features Age and Savings, and
// the label Retire.
type retirementData struct {
	x [][]float64
	y []float64
}

var retirementFeatures = []string{"Age", "Savings"}

// mustLoadRetirement reads ../shared/data/bank_customer_retirement.csv, whose columns are
// Customer ID, Age, 401K Savings and Retire.
func mustLoadRetirement(tb testing.TB) retirementData {
	tb.Helper()
	_, rows := readCSV(tb, sharedPath(tb, "data/bank_customer_retirement.csv"))
	var d retirementData
	for _, r := range rows {
		if len(r) != 4 {
			tb.Fatalf("row %v has %d columns, expected 4", r, len(r))
		}
		d.x = append(d.x, []float64{parseCell(tb, r[1]), parseCell(tb, r[2])})
		d.y = append(d.y, parseCell(tb, r[3]))
	}
	return d
}

// mustReadFile returns the content of path or fails the test.
func mustReadFile(tb testing.TB, path string) []byte {
	tb.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	return data
}
