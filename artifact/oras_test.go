package artifact

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"

	"github.com/bankml/retire/internal/registrytest"
)

// These tests check interoperability: files pushed by this package must come out of the
// oras CLI unchanged, and the manifest that crane fetches must be the one Pack built.

func TestOrasPull_Registries(t *testing.T) {
	oras := registrytest.FindOras(t)
	registries := []struct {
		name string
		host func(t *testing.T) string
	}{
		{name: "in-memory registry", host: func(t *testing.T) string { return registrytest.NewInMemory(t) }},
		{name: "distribution registry", host: func(t *testing.T) string { return registrytest.StartDistribution(t) }},
	}
	for _, registry := range registries {
		t.Run(registry.name, func(t *testing.T) {
			dir := newModelDir(t, fixtureWeights)
			ref := mustParseReference(t, registry.host(t)+"/models/retire:1.0.0")
			mustPush(t, dir, ref, plainHTTP(t))

			output := t.TempDir()
			runTool(t, oras, "pull", "--plain-http", "--no-tty", "-o", output, ref.String())
			assertSameFiles(t, dir, output)
		})
	}
}

func TestOrasPull_Layout(t *testing.T) {
	oras := registrytest.FindOras(t)
	dir := newModelDir(t, fixtureWeights)
	layout := filepath.Join(t.TempDir(), "layout")
	mustPush(t, dir, mustParseReference(t, "oci:"+layout+":1.0.0"), RemoteOptions{})

	output := t.TempDir()
	runTool(t, oras, "pull", "--no-tty", "--oci-layout", "-o", output, layout+":1.0.0")
	assertSameFiles(t, dir, output)
}

func TestCraneManifest_MatchesPack(t *testing.T) {
	crane := registrytest.FindCrane(t)
	dir := newModelDir(t, fixtureWeights)
	ref := mustParseReference(t, registrytest.StartDistribution(t)+"/models/retire:1.0.0")
	mustPush(t, dir, ref, plainHTTP(t))

	got := runTool(t, crane, "manifest", "--insecure", ref.String())
	if want := packFixture(t, dir).ManifestBytes; !bytes.Equal(got, want) {
		t.Errorf("crane manifest returned\n%s\nwant the packed manifest\n%s", got, want)
	}
}

func runTool(t *testing.T, tool string, args ...string) []byte {
	t.Helper()
	command := exec.Command(tool, args...)
	var stderr bytes.Buffer
	command.Stderr = &stderr
	output, err := command.Output()
	if err != nil {
		t.Fatalf("%s %v: %v\nstdout:\n%s\nstderr:\n%s", filepath.Base(tool), args, err, output, stderr.String())
	}
	return output
}

// assertSameFiles checks that got contains exactly the files of want, with identical bytes.
func assertSameFiles(t *testing.T, want, got string) {
	t.Helper()
	wantNames := fileNames(t, want)
	if gotNames := fileNames(t, got); !slices.Equal(gotNames, wantNames) {
		t.Fatalf("files = %v, want %v", gotNames, wantNames)
	}
	for _, name := range wantNames {
		if !bytes.Equal(readFile(t, filepath.Join(got, name)), readFile(t, filepath.Join(want, name))) {
			t.Errorf("%s differs from the pushed file", name)
		}
	}
}

func fileNames(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, entry := range entries {
		names = append(names, entry.Name())
	}
	return names
}
