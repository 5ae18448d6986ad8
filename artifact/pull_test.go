package artifact

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/bankml/retire/internal/registrytest"
	modelspec "github.com/modelpack/model-spec/specs-go/v1"
	"github.com/opencontainers/go-digest"
	specs "github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/content/oci"
)

func TestPull_WrongArtifactType(t *testing.T) {
	host := registrytest.NewInMemory(t)
	repo := newTestRepository(t, host, "retire")
	ctx := t.Context()

	layer, err := oras.PushBytes(ctx, repo, "application/vnd.example.data.v1", []byte("not a model"))
	if err != nil {
		t.Fatal(err)
	}
	other, err := oras.PackManifest(ctx, repo, oras.PackManifestVersion1_1, "application/vnd.example.other.v1+json",
		oras.PackManifestOptions{Layers: []ocispec.Descriptor{layer}})
	if err != nil {
		t.Fatal(err)
	}
	if err := repo.Tag(ctx, other, "1.0.0"); err != nil {
		t.Fatal(err)
	}

	imageConfig, err := oras.PushBytes(ctx, repo, ocispec.MediaTypeImageConfig, []byte(`{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}`))
	if err != nil {
		t.Fatal(err)
	}
	image, err := oras.PackManifest(ctx, repo, oras.PackManifestVersion1_1, "",
		oras.PackManifestOptions{ConfigDescriptor: &imageConfig, Layers: []ocispec.Descriptor{}})
	if err != nil {
		t.Fatal(err)
	}
	if err := repo.Tag(ctx, image, "2.0.0"); err != nil {
		t.Fatal(err)
	}

	for _, version := range []string{"1.0.0", "2.0.0"} {
		ref := mustParseReference(t, host+"/retire:"+version)
		_, err := Pull(ctx, ref, PullOptions{Remote: plainHTTP(t), CacheDir: t.TempDir()})
		if !errors.Is(err, ErrWrongArtifactType) {
			t.Errorf("Pull(%s) error = %v, want ErrWrongArtifactType", ref, err)
		}
	}
}

func TestPull_ImageIndex(t *testing.T) {
	host := registrytest.NewInMemory(t)
	remote := plainHTTP(t)
	model := mustPush(t, newModelDir(t, fixtureWeights), mustParseReference(t, host+"/retire:1.0.0"), remote)

	repo := newTestRepository(t, host, "retire")
	manifestDescriptor, err := repo.Resolve(t.Context(), model.Digest.String())
	if err != nil {
		t.Fatal(err)
	}
	indexBytes, err := json.Marshal(ocispec.Index{
		Versioned: specs.Versioned{SchemaVersion: 2},
		MediaType: ocispec.MediaTypeImageIndex,
		Manifests: []ocispec.Descriptor{manifestDescriptor},
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := oras.TagBytes(t.Context(), repo, ocispec.MediaTypeImageIndex, indexBytes, "2.0.0"); err != nil {
		t.Fatal(err)
	}

	_, err = Pull(t.Context(), mustParseReference(t, host+"/retire:2.0.0"), PullOptions{Remote: remote, CacheDir: t.TempDir()})
	if !errors.Is(err, ErrWrongMediaType) {
		t.Errorf("Pull of an image index: error %v, want ErrWrongMediaType", err)
	}
}

func TestPull_InvalidManifests(t *testing.T) {
	tests := []struct {
		name           string
		changeConfig   func(config *modelspec.Model)
		changeManifest func(manifest *ocispec.Manifest)
		wantErr        error
		wantInMessage  string
	}{
		{
			name:           "config media type",
			changeManifest: func(m *ocispec.Manifest) { m.Config.MediaType = ocispec.MediaTypeImageConfig },
			wantErr:        ErrWrongMediaType,
			wantInMessage:  "config media type",
		},
		{
			name:           "compressed weights layer",
			changeManifest: func(m *ocispec.Manifest) { m.Layers[0].MediaType = modelspec.MediaTypeModelWeightGzip },
			wantErr:        ErrWrongMediaType,
			wantInMessage:  fixtureWeightsFile,
		},
		{
			name:         "diffIds differ from layers",
			changeConfig: func(c *modelspec.Model) { c.ModelFS.DiffIDs[0] = digest.FromString("other weights") },
			wantErr:      ErrDigestMismatch,
			// The error names the layer whose diffId is wrong.
			wantInMessage: "layer " + fixtureWeightsFile,
		},
		{
			name:          "diffIds missing",
			changeConfig:  func(c *modelspec.Model) { c.ModelFS.DiffIDs = c.ModelFS.DiffIDs[:2] },
			wantErr:       ErrDigestMismatch,
			wantInMessage: "2 diffIds for 3 layers",
		},
		{
			name: "title escaping the cache",
			changeManifest: func(m *ocispec.Manifest) {
				m.Layers[0].Annotations[ocispec.AnnotationTitle] = "../../escaped.json"
			},
			wantErr:       ErrInvalidManifest,
			wantInMessage: "path separator",
		},
		{
			name:           "title missing",
			changeManifest: func(m *ocispec.Manifest) { delete(m.Layers[2].Annotations, ocispec.AnnotationTitle) },
			wantErr:        ErrInvalidManifest,
			wantInMessage:  "empty file name",
		},
		{
			name:           "model card missing",
			changeManifest: func(m *ocispec.Manifest) { m.Layers = m.Layers[:2] },
			wantErr:        ErrInvalidManifest,
			wantInMessage:  modelspec.MediaTypeModelDocRaw,
		},
		{
			name: "weights layer over the limit",
			changeManifest: func(m *ocispec.Manifest) {
				m.Layers[0].Size = MaxWeightsSize + 1
			},
			wantErr:       ErrTooLarge,
			wantInMessage: fixtureWeightsFile,
		},
		{
			name: "weights file renamed",
			changeManifest: func(m *ocispec.Manifest) {
				m.Layers[0].Annotations[ocispec.AnnotationTitle] = "renamed.json"
			},
			wantErr:       ErrInvalidManifest,
			wantInMessage: `weights layer is "renamed.json"`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			layout := filepath.Join(t.TempDir(), "layout")
			pushChangedBundle(t, layout, "1.0.0", tt.changeConfig, tt.changeManifest)
			cacheDir := t.TempDir()

			_, err := Pull(t.Context(), mustParseReference(t, "oci:"+layout+":1.0.0"), PullOptions{CacheDir: cacheDir})
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Pull error = %v, want %v", err, tt.wantErr)
			}
			if !strings.Contains(err.Error(), tt.wantInMessage) {
				t.Errorf("Pull error %q does not contain %q", err, tt.wantInMessage)
			}
			if _, statErr := os.Stat(filepath.Join(cacheDir, "..", "escaped.json")); statErr == nil {
				t.Errorf("Pull wrote a file outside the cache directory")
			}
		})
	}
}

// pushChangedBundle packs the fixture, applies the changes to its config and manifest, and
// pushes the result to an OCI layout with oras-go, bypassing the checks of Push.
func pushChangedBundle(t *testing.T, layout, tag string, changeConfig func(*modelspec.Model), changeManifest func(*ocispec.Manifest)) {
	t.Helper()
	ctx := t.Context()
	bundle := packFixture(t, newModelDir(t, fixtureWeights))
	store, err := oci.New(layout)
	if err != nil {
		t.Fatal(err)
	}

	for _, layer := range bundle.Manifest.Layers {
		content, err := bundle.openBlob(layer)
		if err != nil {
			t.Fatal(err)
		}
		err = store.Push(ctx, layer, content)
		content.Close()
		if err != nil {
			t.Fatal(err)
		}
	}

	config := bundle.Config
	if changeConfig != nil {
		changeConfig(&config)
	}
	configBytes, err := json.Marshal(config)
	if err != nil {
		t.Fatal(err)
	}
	configDescriptor, err := oras.PushBytes(ctx, store, modelspec.MediaTypeModelConfig, configBytes)
	if err != nil {
		t.Fatal(err)
	}

	manifest := bundle.Manifest
	manifest.Config = configDescriptor
	manifest.Layers = slices.Clone(manifest.Layers)
	for i := range manifest.Layers {
		annotations := make(map[string]string)
		for key, value := range manifest.Layers[i].Annotations {
			annotations[key] = value
		}
		manifest.Layers[i].Annotations = annotations
	}
	if changeManifest != nil {
		changeManifest(&manifest)
	}
	manifestBytes, err := json.Marshal(manifest)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := oras.TagBytes(ctx, store, ocispec.MediaTypeImageManifest, manifestBytes, tag); err != nil {
		t.Fatal(err)
	}
}

func TestPull_CorruptedBlobInLayout(t *testing.T) {
	layout := filepath.Join(t.TempDir(), "layout")
	ref := mustParseReference(t, "oci:"+layout+":1.0.0")
	dir := newModelDir(t, fixtureWeights)
	bundle := packFixture(t, dir)
	mustPush(t, dir, ref, RemoteOptions{})

	weights := bundle.Manifest.Layers[0]
	blobPath := filepath.Join(layout, "blobs", "sha256", weights.Digest.Encoded())
	corrupt(t, blobPath)

	cacheDir := t.TempDir()
	_, err := Pull(t.Context(), ref, PullOptions{CacheDir: cacheDir})
	assertDigestMismatch(t, err, fixtureWeightsFile)
	assertCorruptedBlob(t, err, weights.Digest, fixtureWeightsFile, blobPath)

	// Nothing of the corrupted layer, not even a temporary file, is left in the cache.
	filesDir := newCacheEntry(cacheDir, bundle.Descriptor.Digest).filesDir()
	entries, _ := os.ReadDir(filesDir)
	for _, entry := range entries {
		if strings.Contains(entry.Name(), fixtureWeightsFile) {
			t.Errorf("cache contains %s after a failed pull", entry.Name())
		}
	}

	// A push of the same directory keeps the stored copy, but restores a deleted one.
	mustPush(t, dir, ref, RemoteOptions{})
	_, err = Pull(t.Context(), ref, PullOptions{CacheDir: t.TempDir()})
	assertDigestMismatch(t, err, fixtureWeightsFile)
	if err := os.Remove(blobPath); err != nil {
		t.Fatal(err)
	}
	mustPush(t, dir, ref, RemoteOptions{})
	if _, err := Pull(t.Context(), ref, PullOptions{CacheDir: t.TempDir()}); err != nil {
		t.Errorf("Pull after the corrupted blob was deleted and pushed again: %v", err)
	}
}

func TestPull_CorruptedBlobInDistribution(t *testing.T) {
	registry := registrytest.RunDistribution(t, registrytest.DistributionOptions{})
	ref := mustParseReference(t, registry.Host+"/models/retire:1.0.0")
	remote := plainHTTP(t)
	dir := newModelDir(t, fixtureWeights)
	mustPush(t, dir, ref, remote)

	bundle := packFixture(t, dir)
	weights := bundle.Manifest.Layers[0]
	corrupt(t, registry.BlobPath(weights.Digest))

	_, err := Pull(t.Context(), ref, PullOptions{Remote: remote, CacheDir: t.TempDir()})
	assertDigestMismatch(t, err, fixtureWeightsFile)
	assertCorruptedBlob(t, err, weights.Digest, fixtureWeightsFile, "")

	// The registry keeps its stored copy of a blob that is pushed again, even with Force.
	if _, err := Push(t.Context(), dir, ref, PushOptions{Remote: remote, Created: fixtureCreated, Force: true}); err != nil {
		t.Fatalf("forced Push of the same directory: %v", err)
	}
	_, err = Pull(t.Context(), ref, PullOptions{Remote: remote, CacheDir: t.TempDir()})
	assertDigestMismatch(t, err, fixtureWeightsFile)

	// Once the operator deletes the stored copy, a push of the same directory uploads it.
	if err := os.Remove(registry.BlobPath(weights.Digest)); err != nil {
		t.Fatal(err)
	}
	mustPush(t, dir, ref, remote)
	assertTagWeights(t, ref, remote, bundle.Descriptor.Digest, string(fixtureWeights))
}

func TestPull_CorruptedConfigInLayout(t *testing.T) {
	layout := filepath.Join(t.TempDir(), "layout")
	ref := mustParseReference(t, "oci:"+layout+":1.0.0")
	dir := newModelDir(t, fixtureWeights)
	bundle := packFixture(t, dir)
	mustPush(t, dir, ref, RemoteOptions{})

	config := bundle.Manifest.Config
	blobPath := filepath.Join(layout, "blobs", "sha256", config.Digest.Encoded())
	corrupt(t, blobPath)

	_, err := Pull(t.Context(), ref, PullOptions{CacheDir: t.TempDir()})
	assertCorruptedBlob(t, err, config.Digest, "config", blobPath)
}

// assertCorruptedBlob checks that err is a *CorruptedBlobError for the blob, and that its
// message names the digest and the file.
func assertCorruptedBlob(t *testing.T, err error, blob digest.Digest, name, path string) {
	t.Helper()
	var corrupted *CorruptedBlobError
	if !errors.As(err, &corrupted) {
		t.Fatalf("Pull error = %v, want a *CorruptedBlobError", err)
	}
	if corrupted.Digest != blob || corrupted.Name != name || corrupted.Path != path {
		t.Errorf("CorruptedBlobError digest, name, path = %s, %q, %q, want %s, %q, %q",
			corrupted.Digest, corrupted.Name, corrupted.Path, blob, name, path)
	}
	if !errors.Is(err, ErrDigestMismatch) {
		t.Errorf("Pull error = %v, want ErrDigestMismatch", err)
	}
	for _, text := range []string{blob.String(), name} {
		if !strings.Contains(err.Error(), text) {
			t.Errorf("Pull error %q does not contain %q", err, text)
		}
	}
}

// corrupt flips the first byte of a file, keeping its size, as a bad disk or a tampered
// storage would.
func corrupt(t *testing.T, path string) {
	t.Helper()
	data := readFile(t, path)
	data[0] ^= 0xff
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func assertDigestMismatch(t *testing.T, err error, file string) {
	t.Helper()
	if !errors.Is(err, ErrDigestMismatch) {
		t.Fatalf("Pull error = %v, want ErrDigestMismatch", err)
	}
	if !strings.Contains(err.Error(), file) {
		t.Errorf("Pull error %q does not name the file %s", err, file)
	}
}

func TestPull_CacheReuse(t *testing.T) {
	var requests atomic.Int32
	var blobRequests atomic.Int32
	host := registrytest.NewInMemoryWithMiddleware(t, func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			requests.Add(1)
			if strings.Contains(r.URL.Path, "/blobs/") {
				blobRequests.Add(1)
			}
			next.ServeHTTP(w, r)
		})
	})
	remote := plainHTTP(t)
	byTag := mustParseReference(t, host+"/retire:1.0.0")
	pushed := mustPush(t, newModelDir(t, fixtureWeights), byTag, remote)
	byDigest := digestReference(byTag, pushed)
	cache := PullOptions{Remote: remote, CacheDir: t.TempDir()}

	first, err := Pull(t.Context(), byDigest, cache)
	if err != nil {
		t.Fatal(err)
	}
	if len(first.Fetched) != 3 {
		t.Errorf("first pull fetched %v, want all 3 files", first.Fetched)
	}

	// By tag: the tag is resolved again, the files come from the cache.
	blobRequests.Store(0)
	second, err := Pull(t.Context(), byTag, cache)
	if err != nil {
		t.Fatal(err)
	}
	if len(second.Fetched) != 0 || blobRequests.Load() != 0 {
		t.Errorf("pull by tag of a cached release fetched %v with %d blob requests, want none", second.Fetched, blobRequests.Load())
	}
	if second.Dir != first.Dir {
		t.Errorf("second pull uses %s, want the cache entry %s", second.Dir, first.Dir)
	}

	// By digest: no request at all, so a server can start while the registry is down.
	requests.Store(0)
	third, err := Pull(t.Context(), byDigest, cache)
	if err != nil {
		t.Fatal(err)
	}
	if requests.Load() != 0 {
		t.Errorf("pull by digest of a cached release sent %d requests, want 0", requests.Load())
	}
	if third.Version != "1.0.0" || third.Metadata.Name != "retire-logistic" {
		t.Errorf("cached release has version %q and name %q", third.Version, third.Metadata.Name)
	}
}

func TestPull_CacheCorruption(t *testing.T) {
	layout := filepath.Join(t.TempDir(), "layout")
	byTag := mustParseReference(t, "oci:"+layout+":1.0.0")
	pushed := mustPush(t, newModelDir(t, fixtureWeights), byTag, RemoteOptions{})
	byDigest := digestReference(byTag, pushed)
	cache := PullOptions{CacheDir: t.TempDir()}

	release, err := Pull(t.Context(), byDigest, cache)
	if err != nil {
		t.Fatal(err)
	}
	cachedWeights := filepath.Join(release.Dir, fixtureWeightsFile)
	cachedManifest := newCacheEntry(cache.CacheDir, pushed.Digest).manifestPath()

	// A corrupted file is detected and downloaded again; so is a corrupted cached manifest.
	corrupt(t, cachedWeights)
	corrupt(t, cachedManifest)
	healed, err := Pull(t.Context(), byDigest, cache)
	if err != nil {
		t.Fatalf("Pull with a corrupted cache: %v", err)
	}
	if !slices.Equal(healed.Fetched, []string{fixtureWeightsFile}) {
		t.Errorf("Fetched = %v, want only the corrupted %s", healed.Fetched, fixtureWeightsFile)
	}
	if got := readFile(t, cachedWeights); !bytes.Equal(got, fixtureWeights) {
		t.Errorf("cached weights were not restored: %q", got)
	}

	// When the source cannot provide the file either, both failures are reported.
	corrupt(t, cachedWeights)
	weightsBlob := filepath.Join(layout, "blobs", "sha256", release.Manifest.Layers[0].Digest.Encoded())
	if err := os.Remove(weightsBlob); err != nil {
		t.Fatal(err)
	}
	_, err = Pull(t.Context(), byDigest, cache)
	assertDigestMismatch(t, err, fixtureWeightsFile)
	if !errors.Is(err, ErrNotFound) {
		t.Errorf("Pull error = %v, want it to wrap ErrNotFound from the layout too", err)
	}
}

func TestRelease_ReadFile(t *testing.T) {
	layout := filepath.Join(t.TempDir(), "layout")
	ref := mustParseReference(t, "oci:"+layout+":1.0.0")
	mustPush(t, newModelDir(t, fixtureWeights), ref, RemoteOptions{})
	release, err := Pull(t.Context(), ref, PullOptions{CacheDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}

	for _, name := range []string{"../index.json", "other.json", ""} {
		if _, err := release.ReadFile(name); !errors.Is(err, ErrNotFound) {
			t.Errorf("ReadFile(%q) error = %v, want ErrNotFound", name, err)
		}
	}

	corrupt(t, filepath.Join(release.Dir, ModelCardFile))
	_, err = release.ReadFile(ModelCardFile)
	assertDigestMismatch(t, err, ModelCardFile)
}

func TestPull_TemporaryCacheDir(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir())
	layout := filepath.Join(t.TempDir(), "layout")
	ref := mustParseReference(t, "oci:"+layout+":1.0.0")
	mustPush(t, newModelDir(t, fixtureWeights), ref, RemoteOptions{})

	release, err := Pull(t.Context(), ref, PullOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(release.Dir, os.Getenv("TMPDIR")) {
		t.Errorf("release.Dir = %s, want it under TMPDIR %s", release.Dir, os.Getenv("TMPDIR"))
	}
	if weights, err := release.Weights(); err != nil || !bytes.Equal(weights, fixtureWeights) {
		t.Errorf("Weights() = %q, %v", weights, err)
	}
}

// BenchmarkPull_CachedByDigest measures a server start-up pull that the cache serves: read the
// cached manifest and config and hash every file again.
func BenchmarkPull_CachedByDigest(b *testing.B) {
	layout := filepath.Join(b.TempDir(), "layout")
	byTag := mustParseReference(b, "oci:"+layout+":1.0.0")
	pushed := mustPush(b, newModelDir(b, bytes.Repeat(fixtureWeights, 10000)), byTag, RemoteOptions{})
	byDigest := digestReference(byTag, pushed)
	opts := PullOptions{CacheDir: b.TempDir()}
	if _, err := Pull(b.Context(), byDigest, opts); err != nil {
		b.Fatal(err)
	}

	for b.Loop() {
		release, err := Pull(b.Context(), byDigest, opts)
		if err != nil {
			b.Fatal(err)
		}
		if len(release.Fetched) != 0 {
			b.Fatalf("cached pull fetched %v", release.Fetched)
		}
	}
}
