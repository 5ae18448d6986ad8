package artifact

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	modelspec "github.com/modelpack/model-spec/specs-go/v1"
)

// Size limits for the files of a model directory, checked before packing and again on every
// layer before it is downloaded. The trainer's logistic and gradient-boosted models take
// kilobytes to a few megabytes, and Release.Weights reads the whole weights file into memory.
const (
	MaxWeightsSize   = 256 << 20 // 256 MiB
	MaxMetadataSize  = 1 << 20   // 1 MiB
	MaxModelCardSize = 1 << 20   // 1 MiB
)

// modelFile is one regular file of a model directory and the layer it becomes.
type modelFile struct {
	name      string
	path      string
	size      int64
	mediaType string
}

// ValidateDir checks that dir is a model directory that Pack accepts and returns its metadata.
// The directory must contain exactly metadata.json, MODEL_CARD.md and the weights file named by
// metadata.json, all regular files (symlinks are rejected) within their size limits. Errors
// wrap ErrInvalidModelDir and name the file.
func ValidateDir(dir string) (Metadata, error) {
	metadata, _, err := scanModelDir(dir)
	return metadata, err
}

// scanModelDir validates dir and returns its files in layer order: weights, metadata, model card.
func scanModelDir(dir string) (Metadata, []modelFile, error) {
	info, err := os.Stat(dir)
	if err != nil {
		return Metadata{}, nil, fmt.Errorf("model directory %s: %w: %w", dir, err, ErrInvalidModelDir)
	}
	if !info.IsDir() {
		return Metadata{}, nil, fmt.Errorf("model directory %s is not a directory: %w", dir, ErrInvalidModelDir)
	}

	metadata, err := readMetadataFile(dir)
	if err != nil {
		return Metadata{}, nil, err
	}

	files := []modelFile{
		{name: metadata.Model.WeightsFile, mediaType: modelspec.MediaTypeModelWeightRaw},
		{name: MetadataFile, mediaType: modelspec.MediaTypeModelWeightConfigRaw},
		{name: ModelCardFile, mediaType: modelspec.MediaTypeModelDocRaw},
	}
	if err := checkDirEntries(dir, files); err != nil {
		return Metadata{}, nil, err
	}

	for i := range files {
		files[i].path = filepath.Join(dir, files[i].name)
		size, err := regularFileSize(files[i].path, sizeLimit(files[i].mediaType))
		if err != nil {
			return Metadata{}, nil, err
		}
		if size == 0 && files[i].mediaType == modelspec.MediaTypeModelWeightRaw {
			return Metadata{}, nil, fmt.Errorf("weights file %s is empty: %w", files[i].path, ErrInvalidModelDir)
		}
		files[i].size = size
	}
	return metadata, files, nil
}

// readMetadataFile reads and validates dir/metadata.json. Errors carry the file path.
func readMetadataFile(dir string) (Metadata, error) {
	path := filepath.Join(dir, MetadataFile)
	if _, err := regularFileSize(path, MaxMetadataSize); err != nil {
		return Metadata{}, err
	}

	file, err := os.Open(path)
	if err != nil {
		return Metadata{}, fmt.Errorf("%w: %w", err, ErrInvalidModelDir)
	}
	defer file.Close()
	data, err := io.ReadAll(io.LimitReader(file, MaxMetadataSize))
	if err != nil {
		return Metadata{}, fmt.Errorf("read %s: %w: %w", path, err, ErrInvalidModelDir)
	}

	metadata, err := ParseMetadata(data)
	if err != nil {
		return Metadata{}, fmt.Errorf("model directory %s: %w: %w", dir, err, ErrInvalidModelDir)
	}
	return metadata, nil
}

// checkDirEntries rejects entries of dir that are not among files, and reports the first of
// files that is missing.
func checkDirEntries(dir string, files []modelFile) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("list model directory %s: %w: %w", dir, err, ErrInvalidModelDir)
	}

	expected := make(map[string]bool, len(files))
	for _, file := range files {
		expected[file.name] = true
	}
	seen := make(map[string]bool, len(entries))
	for _, entry := range entries {
		if !expected[entry.Name()] {
			return fmt.Errorf("unexpected file %s: a model directory contains only %s, remove it: %w",
				filepath.Join(dir, entry.Name()), describeFiles(files), ErrInvalidModelDir)
		}
		seen[entry.Name()] = true
	}

	for _, file := range files {
		if !seen[file.name] {
			return fmt.Errorf("missing file %s: a model directory contains %s: %w",
				filepath.Join(dir, file.name), describeFiles(files), ErrInvalidModelDir)
		}
	}
	return nil
}

func describeFiles(files []modelFile) string {
	names := make([]string, len(files))
	for i, file := range files {
		names[i] = file.name
	}
	return strings.Join(names, ", ")
}

// regularFileSize returns the size of path after checking that it is a regular file, not a
// symlink, and at most limit bytes.
func regularFileSize(path string, limit int64) (int64, error) {
	info, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, fmt.Errorf("missing file %s: %w", path, ErrInvalidModelDir)
	}
	if err != nil {
		return 0, fmt.Errorf("%w: %w", err, ErrInvalidModelDir)
	}
	if !info.Mode().IsRegular() {
		return 0, fmt.Errorf("%s is a %s, only regular files are packed: %w", path, describeMode(info.Mode()), ErrInvalidModelDir)
	}
	if info.Size() > limit {
		return 0, fmt.Errorf("%s has %d bytes, the limit is %d: %w: %w", path, info.Size(), limit, ErrTooLarge, ErrInvalidModelDir)
	}
	return info.Size(), nil
}

func describeMode(mode os.FileMode) string {
	switch {
	case mode&os.ModeSymlink != 0:
		return "symlink"
	case mode.IsDir():
		return "directory"
	default:
		return "special file"
	}
}

// sizeLimit returns the maximum size in bytes of a layer with the given media type.
func sizeLimit(mediaType string) int64 {
	switch mediaType {
	case modelspec.MediaTypeModelWeightRaw:
		return MaxWeightsSize
	case modelspec.MediaTypeModelWeightConfigRaw:
		return MaxMetadataSize
	case modelspec.MediaTypeModelDocRaw:
		return MaxModelCardSize
	}
	return 0
}
