package artifact

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/modelpack/model-spec/schema"
	modelspec "github.com/modelpack/model-spec/specs-go/v1"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

func packFixture(t *testing.T, dir string) *Bundle {
	t.Helper()
	bundle, err := Pack(dir, PackOptions{Version: "1.0.0", Created: fixtureCreated})
	if err != nil {
		t.Fatalf("Pack: %v", err)
	}
	return bundle
}

func TestPack_Golden(t *testing.T) {
	bundle := packFixture(t, newModelDir(t, fixtureWeights))

	assertGolden(t, "manifest.golden.json", bundle.ManifestBytes)
	assertGolden(t, "config.golden.json", bundle.ConfigBytes)
}

func assertGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		writeFile(t, path, got)
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file: %v (run go test ./artifact -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the packed output; if the change is intended, run go test ./artifact -update\ngot:  %s\nwant: %s", path, got, want)
	}
}

func TestPack_Reproducible(t *testing.T) {
	first := packFixture(t, newModelDir(t, fixtureWeights))

	// Same content written later into another directory, with other modification times.
	secondDir := newModelDir(t, fixtureWeights)
	later := time.Now().Add(time.Hour)
	for _, name := range []string{fixtureWeightsFile, MetadataFile, ModelCardFile} {
		if err := os.Chtimes(filepath.Join(secondDir, name), later, later); err != nil {
			t.Fatal(err)
		}
	}
	second := packFixture(t, secondDir)

	if first.Descriptor.Digest != second.Descriptor.Digest {
		t.Errorf("same files packed twice: digests %s and %s differ", first.Descriptor.Digest, second.Descriptor.Digest)
	}

	other, err := Pack(secondDir, PackOptions{Version: "1.0.0", Created: fixtureCreated.Add(time.Second)})
	if err != nil {
		t.Fatal(err)
	}
	if other.Descriptor.Digest == first.Descriptor.Digest {
		t.Errorf("a different created time gave the same digest %s", other.Descriptor.Digest)
	}
}

func TestPack_ConfigMatchesModelSpecSchema(t *testing.T) {
	bundle := packFixture(t, newModelDir(t, fixtureWeights))

	if err := schema.ValidatorMediaTypeModelConfig.Validate(bytes.NewReader(bundle.ConfigBytes)); err != nil {
		t.Errorf("config does not validate against the ModelPack schema: %v\n%s", err, bundle.ConfigBytes)
	}

	// The validator must reject a config without diffIds, or the check above proves nothing.
	broken := bytes.Replace(bundle.ConfigBytes, []byte(`"diffIds"`), []byte(`"diffIDs"`), 1)
	if err := schema.ValidatorMediaTypeModelConfig.Validate(bytes.NewReader(broken)); err == nil {
		t.Errorf("schema accepted a config with a misspelled diffIds key")
	}
}

func TestPack_DiffIDsAreFileDigests(t *testing.T) {
	dir := newModelDir(t, fixtureWeights)
	bundle := packFixture(t, dir)

	wantOrder := []string{fixtureWeightsFile, MetadataFile, ModelCardFile}
	diffIDs := bundle.Config.ModelFS.DiffIDs
	if len(diffIDs) != len(wantOrder) {
		t.Fatalf("config has %d diffIds, want %d", len(diffIDs), len(wantOrder))
	}
	for i, name := range wantOrder {
		sum := sha256.Sum256(readFile(t, filepath.Join(dir, name)))
		want := "sha256:" + hex.EncodeToString(sum[:])
		if diffIDs[i].String() != want {
			t.Errorf("diffIds[%d] = %s, want sha256 of %s %s", i, diffIDs[i], name, want)
		}
		if bundle.Manifest.Layers[i].Digest.String() != want {
			t.Errorf("layer %d digest = %s, want %s", i, bundle.Manifest.Layers[i].Digest, want)
		}
	}
}

func TestPack_Manifest(t *testing.T) {
	bundle := packFixture(t, newModelDir(t, fixtureWeights))
	manifest := bundle.Manifest

	if manifest.ArtifactType != modelspec.ArtifactTypeModelManifest {
		t.Errorf("artifactType = %q, want %q", manifest.ArtifactType, modelspec.ArtifactTypeModelManifest)
	}
	if manifest.Config.MediaType != modelspec.MediaTypeModelConfig {
		t.Errorf("config media type = %q", manifest.Config.MediaType)
	}

	wantLayers := []struct{ title, mediaType string }{
		{fixtureWeightsFile, modelspec.MediaTypeModelWeightRaw},
		{MetadataFile, modelspec.MediaTypeModelWeightConfigRaw},
		{ModelCardFile, modelspec.MediaTypeModelDocRaw},
	}
	for i, want := range wantLayers {
		layer := manifest.Layers[i]
		if layer.MediaType != want.mediaType {
			t.Errorf("layer %d media type = %q, want %q", i, layer.MediaType, want.mediaType)
		}
		if layer.Annotations[ocispec.AnnotationTitle] != want.title {
			t.Errorf("layer %d title = %q, want %q", i, layer.Annotations[ocispec.AnnotationTitle], want.title)
		}
		if layer.Annotations[modelspec.AnnotationFilepath] != want.title {
			t.Errorf("layer %d filepath = %q, want %q", i, layer.Annotations[modelspec.AnnotationFilepath], want.title)
		}
	}

	metadata := fixtureMetadata()
	wantAnnotations := map[string]string{
		ocispec.AnnotationVersion:  "1.0.0",
		ocispec.AnnotationCreated:  "2026-01-02T03:04:05Z",
		ocispec.AnnotationRevision: metadata.Source.Revision,
		ocispec.AnnotationSource:   metadata.Source.Repository,
	}
	for key, want := range wantAnnotations {
		if got := manifest.Annotations[key]; got != want {
			t.Errorf("annotation %s = %q, want %q", key, got, want)
		}
	}

	descriptor := bundle.Config.Descriptor
	if descriptor.Name != metadata.Name || descriptor.Version != "1.0.0" || descriptor.Revision != metadata.Source.Revision {
		t.Errorf("config descriptor = %+v, want name, version and revision from metadata and options", descriptor)
	}
	if bundle.Config.Config.Format != "logistic-json/v1" || bundle.Config.Config.Architecture != "logistic-regression" {
		t.Errorf("config.config = %+v, want format logistic-json/v1 and architecture logistic-regression", bundle.Config.Config)
	}
}

func TestPack_OptionsOverrideMetadata(t *testing.T) {
	bundle, err := Pack(newModelDir(t, fixtureWeights), PackOptions{
		Version:  "2.1.0-rc.1",
		Revision: "feedface",
		Source:   "https://example.com/other",
	})
	if err != nil {
		t.Fatal(err)
	}

	// Without Created, the time comes from metadata.json's created_at.
	if got := bundle.Manifest.Annotations[ocispec.AnnotationCreated]; got != "2026-01-02T03:04:05Z" {
		t.Errorf("created = %q, want metadata created_at 2026-01-02T03:04:05Z", got)
	}
	if got := bundle.Manifest.Annotations[ocispec.AnnotationRevision]; got != "feedface" {
		t.Errorf("revision = %q, want feedface", got)
	}
	if got := bundle.Config.Descriptor.SourceURL; got != "https://example.com/other" {
		t.Errorf("sourceURL = %q, want https://example.com/other", got)
	}
}

func TestPack_RejectsInvalidVersion(t *testing.T) {
	_, err := Pack(newModelDir(t, fixtureWeights), PackOptions{Version: "v1.0.0"})
	if !errors.Is(err, ErrInvalidVersion) {
		t.Errorf("Pack with version v1.0.0: error %v, want ErrInvalidVersion", err)
	}
}

func TestParseSourceDateEpoch(t *testing.T) {
	got, err := ParseSourceDateEpoch("1767323045")
	if err != nil {
		t.Fatal(err)
	}
	if !got.Equal(fixtureCreated) {
		t.Errorf("ParseSourceDateEpoch = %s, want %s", got, fixtureCreated)
	}

	if got, err := ParseSourceDateEpoch(""); err != nil || !got.IsZero() {
		t.Errorf("ParseSourceDateEpoch(\"\") = %s, %v, want the zero time", got, err)
	}
	for _, bad := range []string{"-1", "1.5", "yesterday"} {
		if _, err := ParseSourceDateEpoch(bad); err == nil {
			t.Errorf("ParseSourceDateEpoch(%q) returned no error", bad)
		}
	}
}
