package artifact

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestValidateDir_Valid(t *testing.T) {
	metadata, err := ValidateDir(newModelDir(t, fixtureWeights))
	if err != nil {
		t.Fatalf("ValidateDir: %v", err)
	}
	if metadata.Name != "retire-logistic" || metadata.Model.WeightsFile != fixtureWeightsFile {
		t.Errorf("ValidateDir returned metadata %+v, want the fixture", metadata)
	}
}

func TestValidateDir_Invalid(t *testing.T) {
	tests := []struct {
		name string
		// change breaks a valid fixture directory.
		change func(t *testing.T, dir string)
		// wantInMessage are texts that the error must contain, usually the problem and the file.
		wantInMessage []string
		wantErr       error
	}{
		{
			name:          "missing metadata",
			change:        func(t *testing.T, dir string) { remove(t, dir, MetadataFile) },
			wantInMessage: []string{"missing file ", "model/" + MetadataFile},
		},
		{
			name: "metadata not JSON",
			change: func(t *testing.T, dir string) {
				writeFile(t, filepath.Join(dir, MetadataFile), []byte("{\n  \"name\": \"x\",\n  oops\n}"))
			},
			wantInMessage: []string{"metadata.json line 3: invalid JSON"},
		},
		{
			name: "metadata wrong type",
			change: func(t *testing.T, dir string) {
				writeFile(t, filepath.Join(dir, MetadataFile), []byte(`{"schema_version": 1}`))
			},
			wantInMessage: []string{"metadata.json: invalid content"},
		},
		{
			name:          "unsupported schema version",
			change:        func(t *testing.T, dir string) { rewriteMetadata(t, dir, func(m *Metadata) { m.SchemaVersion = "2" }) },
			wantInMessage: []string{`schema_version "2" is not supported`},
		},
		{
			name:          "empty name",
			change:        func(t *testing.T, dir string) { rewriteMetadata(t, dir, func(m *Metadata) { m.Name = "" }) },
			wantInMessage: []string{"name is empty"},
		},
		{
			name: "weights file with path",
			change: func(t *testing.T, dir string) {
				rewriteMetadata(t, dir, func(m *Metadata) { m.Model.WeightsFile = "../model.json" })
			},
			wantInMessage: []string{"path separator"},
		},
		{
			name: "weights file is metadata",
			change: func(t *testing.T, dir string) {
				rewriteMetadata(t, dir, func(m *Metadata) { m.Model.WeightsFile = MetadataFile })
			},
			wantInMessage: []string{"name of another file"},
		},
		{
			name:          "missing weights",
			change:        func(t *testing.T, dir string) { remove(t, dir, fixtureWeightsFile) },
			wantInMessage: []string{"missing file ", "model/" + fixtureWeightsFile},
		},
		{
			name:          "missing model card",
			change:        func(t *testing.T, dir string) { remove(t, dir, ModelCardFile) },
			wantInMessage: []string{"missing file ", "model/" + ModelCardFile},
		},
		{
			name:          "extra file",
			change:        func(t *testing.T, dir string) { writeFile(t, filepath.Join(dir, "notes.txt"), []byte("x")) },
			wantInMessage: []string{"unexpected file ", "model/notes.txt"},
		},
		{
			name:          "hidden extra file",
			change:        func(t *testing.T, dir string) { writeFile(t, filepath.Join(dir, ".DS_Store"), []byte("x")) },
			wantInMessage: []string{"unexpected file ", "model/.DS_Store"},
		},
		{
			name: "subdirectory",
			change: func(t *testing.T, dir string) {
				if err := os.Mkdir(filepath.Join(dir, "extra"), 0o755); err != nil {
					t.Fatal(err)
				}
			},
			wantInMessage: []string{"unexpected file ", "model/extra"},
		},
		{
			name: "weights symlink escaping the directory",
			change: func(t *testing.T, dir string) {
				remove(t, dir, fixtureWeightsFile)
				if err := os.Symlink("/etc/passwd", filepath.Join(dir, fixtureWeightsFile)); err != nil {
					t.Fatal(err)
				}
			},
			wantInMessage: []string{fixtureWeightsFile + " is a symlink"},
		},
		{
			name: "metadata symlink inside the directory",
			change: func(t *testing.T, dir string) {
				writeFile(t, filepath.Join(dir, "..", "real-metadata.json"), readFile(t, filepath.Join(dir, MetadataFile)))
				remove(t, dir, MetadataFile)
				if err := os.Symlink("../real-metadata.json", filepath.Join(dir, MetadataFile)); err != nil {
					t.Fatal(err)
				}
			},
			wantInMessage: []string{MetadataFile + " is a symlink"},
		},
		{
			name:          "empty weights",
			change:        func(t *testing.T, dir string) { writeFile(t, filepath.Join(dir, fixtureWeightsFile), nil) },
			wantInMessage: []string{"is empty"},
		},
		{
			name: "weights too large",
			change: func(t *testing.T, dir string) {
				// A sparse file: the size counts, no disk space is used.
				if err := os.Truncate(filepath.Join(dir, fixtureWeightsFile), MaxWeightsSize+1); err != nil {
					t.Fatal(err)
				}
			},
			wantInMessage: []string{"the limit is 268435456"},
			wantErr:       ErrTooLarge,
		},
		{
			name: "model card too large",
			change: func(t *testing.T, dir string) {
				if err := os.Truncate(filepath.Join(dir, ModelCardFile), MaxModelCardSize+1); err != nil {
					t.Fatal(err)
				}
			},
			wantInMessage: []string{ModelCardFile + " has 1048577 bytes"},
			wantErr:       ErrTooLarge,
		},
		{
			name: "not a directory",
			change: func(t *testing.T, dir string) {
				if err := os.RemoveAll(dir); err != nil {
					t.Fatal(err)
				}
				writeFile(t, dir, []byte("x"))
			},
			wantInMessage: []string{"is not a directory"},
		},
		{
			name:          "directory missing",
			change:        func(t *testing.T, dir string) { os.RemoveAll(dir) },
			wantInMessage: []string{"no such file or directory"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := newModelDir(t, fixtureWeights)
			tt.change(t, dir)

			_, err := ValidateDir(dir)
			if !errors.Is(err, ErrInvalidModelDir) {
				t.Fatalf("ValidateDir error = %v, want ErrInvalidModelDir", err)
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("ValidateDir error = %v, want it to wrap %v", err, tt.wantErr)
			}
			for _, want := range tt.wantInMessage {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("ValidateDir error %q does not contain %q", err, want)
				}
			}

			// Push checks the directory before it contacts any registry.
			_, err = Push(t.Context(), dir, mustParseReference(t, "oci:"+filepath.Join(t.TempDir(), "layout")+":1.0.0"), PushOptions{})
			if !errors.Is(err, ErrInvalidModelDir) {
				t.Errorf("Push error = %v, want ErrInvalidModelDir", err)
			}
		})
	}
}

func remove(t *testing.T, dir, name string) {
	t.Helper()
	if err := os.Remove(filepath.Join(dir, name)); err != nil {
		t.Fatal(err)
	}
}

// rewriteMetadata writes metadata.json again after change, renaming the weights file to match.
func rewriteMetadata(t *testing.T, dir string, change func(*Metadata)) {
	t.Helper()
	metadata := fixtureMetadata()
	change(&metadata)
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if strings.ContainsAny(metadata.Model.WeightsFile, "/") || metadata.Model.WeightsFile == MetadataFile {
		// The weights cannot be written under that name; keep the fixture file instead.
		writeModelDir(t, dir, fixtureMetadata(), fixtureWeights)
		data, err := json.Marshal(metadata)
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(dir, MetadataFile), data)
		return
	}
	writeModelDir(t, dir, metadata, fixtureWeights)
}
