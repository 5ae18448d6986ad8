package gbdt

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// pythonPath is Debian's interpreter, which has xgboost 1.7.4; the pyenv python on PATH has
// no xgboost.
const pythonPath = "/usr/bin/python3"

var (
	pythonOnce  sync.Once
	pythonError error
)

// requirePythonXGBoost skips the test when /usr/bin/python3 cannot import xgboost, unless
// REQUIRE_PYTHON_XGBOOST=1 (set by CI), in which case it fails.
func requirePythonXGBoost(t *testing.T) {
	t.Helper()
	pythonOnce.Do(func() {
		out, err := exec.Command(pythonPath, "-c", "import xgboost, pandas; print(xgboost.__version__)").CombinedOutput()
		if err != nil {
			pythonError = &exec.Error{Name: pythonPath + " -c 'import xgboost': " + strings.TrimSpace(string(out)), Err: err}
		}
	})
	if pythonError == nil {
		return
	}
	if os.Getenv("REQUIRE_PYTHON_XGBOOST") == "1" {
		t.Fatalf("REQUIRE_PYTHON_XGBOOST=1 but xgboost is not usable: %v", pythonError)
	}
	t.Skipf("skipping the comparison with Python: %v (install python3-xgboost, or set REQUIRE_PYTHON_XGBOOST=1 to make this a failure)", pythonError)
}

// scriptPath returns the path of a helper script in the repository's scripts directory.
func scriptPath(t *testing.T, name string) string {
	t.Helper()
	path, err := filepath.Abs(filepath.Join("..", "..", "scripts", name))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatal(err)
	}
	return path
}

// runPython runs a helper script with Debian's python3 and parses the float printed on each
// line of its output.
func runPython(t *testing.T, script string, args ...string) []float64 {
	t.Helper()
	cmd := exec.Command(pythonPath, append([]string{scriptPath(t, script)}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", script, strings.Join(args, " "), err, stderr.String())
	}
	var values []float64
	for _, line := range strings.Fields(string(out)) {
		v, err := strconv.ParseFloat(line, 64)
		if err != nil {
			t.Fatalf("%s printed %q, expected a number per line", script, line)
		}
		values = append(values, v)
	}
	return values
}

// writeCSV writes rows with a header to a new file in dir; NaN cells are written as NA.
// When y is not nil it is appended as a last column named label.
func writeCSV(t *testing.T, dir, name string, header []string, x [][]float64, y []float64) string {
	t.Helper()
	var b strings.Builder
	cols := header
	if y != nil {
		cols = append(append([]string(nil), header...), "label")
	}
	b.WriteString(strings.Join(cols, ",") + "\n")
	for i, row := range x {
		for j, v := range row {
			if j > 0 {
				b.WriteByte(',')
			}
			if v != v {
				b.WriteString("NA")
			} else {
				b.WriteString(strconv.FormatFloat(v, 'g', -1, 64))
			}
		}
		if y != nil {
			b.WriteString("," + strconv.FormatFloat(y[i], 'g', -1, 64))
		}
		b.WriteByte('\n')
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// writeParams writes p as the JSON that gbdt_xgb_train.py reads.
func writeParams(t *testing.T, dir string, p Params) string {
	t.Helper()
	data, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "params.json")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// pipelineParams are the hyperparameters of the Python pipeline this package replaces.
func pipelineParams() Params {
	p := DefaultParams()
	p.NEstimators = 300
	p.LearningRate = 0.03
	p.MaxDepth = 4
	p.MaxLeaves = 15
	p.Subsample = 0.8
	p.ColsampleByTree = 0.6
	p.ColsampleByNode = 0.8
	p.Gamma = 0.1
	p.RegLambda = 0.1
	p.RegAlpha = 0.01
	p.MinChildWeight = 1
	return p
}
