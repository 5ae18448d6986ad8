package trainer

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"

	"github.com/bankml/retire/artifact"
	"github.com/bankml/retire/classifier"
)

// WriteModelDir writes the weights, metadata.json and the model card of result into dir.
// The files are written into a new sibling directory that then replaces dir, so dir holds
// either its old files or all the new ones, never a mix, even if the process is killed.
func WriteModelDir(dir string, result *Result) error {
	weights := result.Weights
	if weights == nil {
		var err error
		if weights, err = result.Pipeline.MarshalWeights(); err != nil {
			return err
		}
	}
	meta, err := json.MarshalIndent(result.Metadata, "", "  ")
	if err != nil {
		return err
	}
	card, err := ModelCard(result.Metadata)
	if err != nil {
		return err
	}

	dir = filepath.Clean(dir)
	if err := checkReplaceable(dir); err != nil {
		return err
	}
	parent := filepath.Dir(dir)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return fmt.Errorf("create the parent of the model directory: %w", err)
	}
	removeStaleStaging(parent, filepath.Base(dir))
	staging, err := os.MkdirTemp(parent, "."+filepath.Base(dir)+".tmp-*")
	if err != nil {
		return fmt.Errorf("write model directory %s: %w", dir, err)
	}
	defer os.RemoveAll(staging)
	if err := os.Chmod(staging, 0o755); err != nil {
		return fmt.Errorf("write model directory %s: %w", dir, err)
	}
	files := []struct {
		name string
		data []byte
	}{
		{WeightsFile, weights},
		{artifact.MetadataFile, append(meta, '\n')},
		{artifact.ModelCardFile, card},
	}
	for _, f := range files {
		if err := writeFileSynced(filepath.Join(staging, f.name), f.data); err != nil {
			return err
		}
	}
	return replaceDir(staging, dir)
}

// modelFiles are the only entries a model directory holds.
var modelFiles = []string{WeightsFile, artifact.MetadataFile, artifact.ModelCardFile}

// checkReplaceable allows dir to be missing, empty, or an earlier model directory. Anything
// else is the user's data, which WriteModelDir must not replace.
func checkReplaceable(dir string) error {
	entries, err := os.ReadDir(dir)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		var pathErr *os.PathError
		if info, statErr := os.Lstat(dir); statErr == nil && !info.IsDir() && errors.As(err, &pathErr) {
			return fmt.Errorf("write model directory %s: it exists and is not a directory: choose another --output", dir)
		}
		return fmt.Errorf("write model directory %s: %w", dir, err)
	}
	for _, entry := range entries {
		if !slices.Contains(modelFiles, entry.Name()) || !entry.Type().IsRegular() {
			return fmt.Errorf("write model directory %s: it already contains %q, which is not a model file: choose a new or empty --output directory",
				dir, entry.Name())
		}
	}
	return nil
}

// removeStaleStaging removes staging directories that an interrupted earlier run left
// beside the model directory base in parent. Errors are ignored: the leftovers are hidden
// and harmless, and the next run tries again.
func removeStaleStaging(parent, base string) {
	leftovers, _ := filepath.Glob(filepath.Join(parent, "."+base+".tmp-*"))
	for _, path := range leftovers {
		os.RemoveAll(path)
	}
}

// replaceDir moves staging to dir. An existing dir is first moved aside and removed after
// the swap, because rename cannot replace a non-empty directory.
func replaceDir(staging, dir string) error {
	info, err := os.Lstat(dir)
	switch {
	case os.IsNotExist(err):
		if err := os.Rename(staging, dir); err != nil {
			return fmt.Errorf("write model directory %s: %w", dir, err)
		}
		return nil
	case err != nil:
		return fmt.Errorf("write model directory %s: %w", dir, err)
	case !info.IsDir():
		return fmt.Errorf("write model directory %s: it exists and is not a directory: choose another --output", dir)
	}

	old := staging + ".old"
	if err := os.Rename(dir, old); err != nil {
		return fmt.Errorf("write model directory %s: move the old one aside: %w", dir, err)
	}
	if err := os.Rename(staging, dir); err != nil {
		// Put the old directory back so that nothing is lost.
		if restoreErr := os.Rename(old, dir); restoreErr != nil {
			return fmt.Errorf("write model directory %s: %w; the previous files are in %s", dir, err, old)
		}
		return fmt.Errorf("write model directory %s: %w", dir, err)
	}
	if err := os.RemoveAll(old); err != nil {
		return fmt.Errorf("remove the previous model directory %s: %w", old, err)
	}
	return nil
}

func writeFileSynced(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// CheckModelDir loads the model in dir the way model-server will, so that a directory the
// server cannot serve is caught before it is published.
func CheckModelDir(dir string) error {
	meta, err := artifact.ValidateDir(dir)
	if err != nil {
		return err
	}
	weights, err := os.ReadFile(filepath.Join(dir, meta.Model.WeightsFile))
	if err != nil {
		return err
	}
	features := make([]string, len(meta.Features))
	for i, f := range meta.Features {
		features[i] = f.Name
	}
	pipeline, err := classifier.Load(meta.Model.Format, weights, meta.Model.Preprocessing, features)
	if err != nil {
		return fmt.Errorf("model directory %s: the model does not load: %w", dir, err)
	}
	// One row of missing values exercises the preprocessing and the model together.
	row := make([]float64, len(features))
	for i := range row {
		row[i] = math.NaN()
	}
	if _, err := pipeline.PredictProba([][]float64{row}); err != nil {
		return fmt.Errorf("model directory %s: the model does not predict: %w", dir, err)
	}
	return nil
}
