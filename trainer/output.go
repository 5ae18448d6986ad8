package trainer

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/bankml/retire/artifact"
)

// WriteModelDir writes the weights, metadata.json and the model card of result into dir,
// creating dir if needed. Each file is written to a temporary name and renamed into place,
// so a reader never sees a half-written file.
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
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create model directory: %w", err)
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
		if err := writeFileAtomic(filepath.Join(dir, f.name), f.data); err != nil {
			return err
		}
	}
	return nil
}

func writeFileAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
