package gbdt

import (
	"encoding/csv"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/bankml/retire/internal/realdata"
)

// sharedPath returns the path of rel (below shared/, such as "data/xgboost-1.7.4/model.json")
// and skips the test when the file is absent; see realdata.Path.
func sharedPath(tb testing.TB, rel string) string {
	tb.Helper()
	return realdata.Path(tb, strings.TrimPrefix(filepath.ToSlash(rel), "data/"))
}

// sharedModelPath returns the path of the model written by xgboost 1.7.4, or "" when the
// shared directory is absent.
func sharedModelPath() string {
	path, ok := realdata.Find("xgboost-1.7.4", "model.json")
	if !ok {
		return ""
	}
	return path
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
