package realdata

import (
	"os"
	"path/filepath"
	"testing"
)

func TestModuleRoot_FindsGoMod(t *testing.T) {
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Errorf("moduleRoot = %s, which has no go.mod: %v", root, err)
	}
	if filepath.Base(filepath.Join(root, "internal", "realdata")) != "realdata" {
		t.Errorf("moduleRoot = %s, want the repository root", root)
	}
}

func TestPath_Dataset(t *testing.T) {
	path := Path(t, Dataset)
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if info.Size() == 0 {
		t.Errorf("%s is empty", path)
	}
}
