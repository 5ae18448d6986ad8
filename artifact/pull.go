package artifact

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	modelspec "github.com/modelpack/model-spec/specs-go/v1"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/content"
)

// Size limits of the JSON documents that Pull reads before it trusts them.
const (
	maxManifestSize = 4 << 20 // 4 MiB, the default limit of oras-go and containerd
	maxConfigSize   = 1 << 20 // 1 MiB
)

// PullOptions sets where Pull reads from and where it writes the files.
type PullOptions struct {
	// Remote sets the connection to a remote registry; an "oci:" reference ignores it.
	Remote RemoteOptions
	// CacheDir is the directory of pulled releases, one subdirectory per manifest digest.
	// Empty means a new temporary directory, which the caller removes when done.
	CacheDir string
}

// Release is one pulled model version whose files have been verified against the manifest.
type Release struct {
	// Reference is the reference that was pulled, with a tag or a digest.
	Reference Reference
	// Version is the org.opencontainers.image.version annotation, or the config's
	// descriptor.version when the annotation is missing.
	Version string
	// Digest is the manifest digest, the immutable name of this release.
	Digest digest.Digest
	// Manifest is the OCI image manifest.
	Manifest ocispec.Manifest
	// Config is the ModelPack config.
	Config modelspec.Model
	// Metadata is the content of metadata.json.
	Metadata Metadata
	// Dir is the directory that holds the weights file, metadata.json and MODEL_CARD.md.
	Dir string
	// Fetched lists the files that this pull downloaded, in layer order. It is empty when
	// every file came from the cache.
	Fetched []string
}

// Pull fetches the release that ref names into opts.CacheDir and returns it.
//
// Pull resolves the tag or digest, reads at most 4 MiB of manifest, and rejects a manifest
// whose artifact type, config media type or layer media types are not those that Push
// writes. It checks that the config's diffIds match the layers, then downloads each layer,
// verifying its size and digest, into <CacheDir>/<algorithm>/<hex>/files/ with a temporary
// name and a rename. A file already in the cache is verified again and reused; a corrupted
// one is downloaded again. A pull by digest whose files are all in the cache sends no request.
// A config or layer that the source serves corrupted is a *CorruptedBlobError.
func Pull(ctx context.Context, ref Reference, opts PullOptions) (*Release, error) {
	release, err := pull(ctx, ref, opts)
	if err != nil {
		return nil, fmt.Errorf("pull %s: %w", ref, err)
	}
	return release, nil
}

func pull(ctx context.Context, ref Reference, opts PullOptions) (*Release, error) {
	if ref.Tag == "" && ref.Digest == "" {
		return nil, fmt.Errorf("reference has no tag or digest: %w", ErrInvalidReference)
	}
	if ref.Digest != "" {
		// The digest names a cache directory, so it must not contain a path.
		if err := ref.Digest.Validate(); err != nil {
			return nil, fmt.Errorf("invalid digest %q: %w", ref.Digest, ErrInvalidReference)
		}
	}
	cacheDir := opts.CacheDir
	if cacheDir == "" {
		var err error
		if cacheDir, err = os.MkdirTemp("", "model-cache-"); err != nil {
			return nil, fmt.Errorf("create cache directory: %w", err)
		}
	}

	source := &pullSource{ref: ref, remote: opts.Remote}
	manifestDescriptor, manifestBytes, err := source.manifest(ctx, cacheDir)
	if err != nil {
		return nil, err
	}
	manifest, err := decodeManifest(manifestDescriptor, manifestBytes)
	if err != nil {
		return nil, err
	}

	entry := newCacheEntry(cacheDir, manifestDescriptor.Digest)
	if err := os.MkdirAll(entry.filesDir(), 0o755); err != nil {
		return nil, fmt.Errorf("create cache directory: %w: %w", err, ErrCacheDir)
	}
	configBytes, err := source.config(ctx, entry, manifest.Config)
	if err != nil {
		return nil, err
	}
	config, err := decodeConfig(configBytes, manifest)
	if err != nil {
		return nil, err
	}

	var fetched []string
	for _, layer := range manifest.Layers {
		downloaded, err := source.layer(ctx, entry, layer)
		if err != nil {
			return nil, err
		}
		if downloaded {
			fetched = append(fetched, layer.Annotations[ocispec.AnnotationTitle])
		}
	}

	// The manifest goes last: its presence marks an entry whose files were all written.
	if err := writeFileAtomic(entry.configPath(), configBytes); err != nil {
		return nil, err
	}
	if err := writeFileAtomic(entry.manifestPath(), manifestBytes); err != nil {
		return nil, err
	}

	metadata, err := readPulledMetadata(entry.filesDir(), manifest)
	if err != nil {
		return nil, err
	}

	version := manifest.Annotations[ocispec.AnnotationVersion]
	if version == "" {
		version = config.Descriptor.Version
	}
	return &Release{
		Reference: ref,
		Version:   version,
		Digest:    manifestDescriptor.Digest,
		Manifest:  manifest,
		Config:    config,
		Metadata:  metadata,
		Dir:       entry.filesDir(),
		Fetched:   fetched,
	}, nil
}

// pullSource is the registry or OCI layout of a pull, opened on first use so that a pull
// served from the cache does not need it.
type pullSource struct {
	ref    Reference
	remote RemoteOptions
	target oras.ReadOnlyTarget
}

func (s *pullSource) open(ctx context.Context) (oras.ReadOnlyTarget, error) {
	if s.target != nil {
		return s.target, nil
	}
	var err error
	if s.ref.IsLayout() {
		s.target, err = openLayoutForPull(ctx, s.ref)
	} else {
		s.target, err = newRepository(s.ref, s.remote)
	}
	return s.target, err
}

// manifest returns the manifest that the reference names. For a digest it first tries the
// cache, whose copy is used only if it still hashes to that digest.
func (s *pullSource) manifest(ctx context.Context, cacheDir string) (ocispec.Descriptor, []byte, error) {
	if s.ref.Digest != "" {
		cached := ocispec.Descriptor{MediaType: ocispec.MediaTypeImageManifest, Digest: s.ref.Digest}
		if data, ok := readVerifiedFile(newCacheEntry(cacheDir, s.ref.Digest).manifestPath(), cached, maxManifestSize); ok {
			cached.Size = int64(len(data))
			return cached, data, nil
		}
	}

	target, err := s.open(ctx)
	if err != nil {
		return ocispec.Descriptor{}, nil, err
	}
	desc, data, err := oras.FetchBytes(ctx, target, s.ref.Version(), oras.FetchBytesOptions{MaxBytes: maxManifestSize})
	if err != nil {
		return ocispec.Descriptor{}, nil, fmt.Errorf("fetch manifest %s: %w", s.ref.Version(), classifyFetchError(err))
	}

	if s.ref.Digest != "" && desc.Digest != s.ref.Digest {
		return ocispec.Descriptor{}, nil, fmt.Errorf("registry returned manifest %s for digest %s: %w", desc.Digest, s.ref.Digest, ErrDigestMismatch)
	}
	if err := verifyBytes(data, desc); err != nil {
		return ocispec.Descriptor{}, nil, fmt.Errorf("manifest %s: %w", desc.Digest, err)
	}
	return desc, data, nil
}

// config returns the config blob from the cache when it verifies, and otherwise fetches it.
func (s *pullSource) config(ctx context.Context, entry cacheEntry, desc ocispec.Descriptor) ([]byte, error) {
	if data, ok := readVerifiedFile(entry.configPath(), desc, maxConfigSize); ok {
		return data, nil
	}

	target, err := s.open(ctx)
	if err != nil {
		return nil, err
	}
	data, err := content.FetchAll(ctx, target, desc)
	if err != nil {
		err = classifyFetchError(err)
		if errors.Is(err, ErrDigestMismatch) {
			return nil, s.corrupted(desc, "config", err)
		}
		if errors.Is(err, ErrNotFound) {
			return nil, s.missing(desc, "config", err)
		}
		return nil, fmt.Errorf("fetch config %s: %w", desc.Digest, err)
	}
	return data, nil
}

// layer makes sure that the cache holds the verified content of layer, downloading it when the
// cached file is missing or corrupted. It reports whether it downloaded.
func (s *pullSource) layer(ctx context.Context, entry cacheEntry, layer ocispec.Descriptor) (bool, error) {
	name := layer.Annotations[ocispec.AnnotationTitle]
	path := filepath.Join(entry.filesDir(), name)
	cacheErr := verifyFile(path, layer)
	if cacheErr == nil {
		return false, nil
	}

	err := s.downloadLayer(ctx, path, layer)
	if err != nil && !errors.Is(cacheErr, os.ErrNotExist) {
		return false, fmt.Errorf("cached file %s failed verification (%w), and downloading it again failed: %w", path, cacheErr, err)
	}
	return err == nil, err
}

func (s *pullSource) downloadLayer(ctx context.Context, path string, layer ocispec.Descriptor) error {
	name := layer.Annotations[ocispec.AnnotationTitle]
	target, err := s.open(ctx)
	if err != nil {
		return err
	}
	body, err := target.Fetch(ctx, layer)
	if err != nil {
		err = classifyFetchError(err)
		if errors.Is(err, ErrNotFound) {
			return s.missing(layer, name, err)
		}
		return fmt.Errorf("fetch layer %s (%s): %w", name, layer.Digest, err)
	}
	defer body.Close()

	if err := writeVerifiedFile(path, body, layer); err != nil {
		if errors.Is(err, ErrDigestMismatch) {
			return s.corrupted(layer, name, err)
		}
		return fmt.Errorf("layer %s: %w", name, err)
	}
	return nil
}

// corrupted returns the error for a blob of the source that failed verification.
func (s *pullSource) corrupted(blob ocispec.Descriptor, name string, err error) *CorruptedBlobError {
	return &CorruptedBlobError{Reference: s.ref, Digest: blob.Digest, Name: name, Path: s.blobPath(blob), Err: err}
}

// missing returns the error for a blob that the manifest lists and the source does not store.
func (s *pullSource) missing(blob ocispec.Descriptor, name string, err error) *MissingBlobError {
	return &MissingBlobError{Reference: s.ref, Digest: blob.Digest, Name: name, Path: s.blobPath(blob), Err: err}
}

// blobPath returns the file of blob in an OCI image layout, or "" for a registry.
func (s *pullSource) blobPath(blob ocispec.Descriptor) string {
	if !s.ref.IsLayout() {
		return ""
	}
	return filepath.Join(s.ref.LayoutPath, "blobs", blob.Digest.Algorithm().String(), blob.Digest.Encoded())
}

// classifyFetchError is classifyError plus the content verification errors of oras-go.
func classifyFetchError(err error) error {
	switch {
	case errors.Is(err, content.ErrMismatchedDigest), errors.Is(err, content.ErrTrailingData):
		return fmt.Errorf("%w: %w", err, ErrDigestMismatch)
	case errors.Is(err, content.ErrInvalidDescriptorSize):
		return fmt.Errorf("%w: %w", err, ErrInvalidManifest)
	}
	return classifyError(err)
}

// decodeManifest parses a manifest and checks that it has the shape that Push writes.
func decodeManifest(desc ocispec.Descriptor, data []byte) (ocispec.Manifest, error) {
	if desc.MediaType != ocispec.MediaTypeImageManifest {
		return ocispec.Manifest{}, fmt.Errorf("manifest %s has media type %q, expected %q: %w",
			desc.Digest, desc.MediaType, ocispec.MediaTypeImageManifest, ErrWrongMediaType)
	}

	var manifest ocispec.Manifest
	if err := json.Unmarshal(data, &manifest); err != nil {
		return ocispec.Manifest{}, fmt.Errorf("manifest %s: %w: %w", desc.Digest, err, ErrInvalidManifest)
	}
	if manifest.SchemaVersion != 2 {
		return ocispec.Manifest{}, fmt.Errorf("manifest %s has schemaVersion %d, expected 2: %w", desc.Digest, manifest.SchemaVersion, ErrInvalidManifest)
	}
	if manifest.MediaType != "" && manifest.MediaType != ocispec.MediaTypeImageManifest {
		return ocispec.Manifest{}, fmt.Errorf("manifest %s declares media type %q, expected %q: %w",
			desc.Digest, manifest.MediaType, ocispec.MediaTypeImageManifest, ErrWrongMediaType)
	}
	if manifest.ArtifactType != modelspec.ArtifactTypeModelManifest {
		return ocispec.Manifest{}, fmt.Errorf("manifest %s has artifactType %q, expected %q, so it is not a model pushed by this tool: %w",
			desc.Digest, manifest.ArtifactType, modelspec.ArtifactTypeModelManifest, ErrWrongArtifactType)
	}

	if manifest.Config.MediaType != modelspec.MediaTypeModelConfig {
		return ocispec.Manifest{}, fmt.Errorf("manifest %s has config media type %q, expected %q: %w",
			desc.Digest, manifest.Config.MediaType, modelspec.MediaTypeModelConfig, ErrWrongMediaType)
	}
	if err := checkBlobDescriptor(manifest.Config, "config", maxConfigSize); err != nil {
		return ocispec.Manifest{}, fmt.Errorf("manifest %s: %w", desc.Digest, err)
	}
	if err := checkLayers(manifest.Layers); err != nil {
		return ocispec.Manifest{}, fmt.Errorf("manifest %s: %w", desc.Digest, err)
	}
	return manifest, nil
}

// checkLayers checks that the layers are one weights file, metadata.json and MODEL_CARD.md,
// each with a raw ModelPack media type, a safe title and a size within its limit.
func checkLayers(layers []ocispec.Descriptor) error {
	counts := make(map[string]int, 3)
	titles := make(map[string]bool, len(layers))
	for i, layer := range layers {
		title := layer.Annotations[ocispec.AnnotationTitle]
		limit := sizeLimit(layer.MediaType)
		if limit == 0 {
			return fmt.Errorf("layer %d (%s) has media type %q, expected one of %s: %w",
				i, title, layer.MediaType, strings.Join(layerMediaTypes(), ", "), ErrWrongMediaType)
		}
		if err := validateFileName(title); err != nil {
			return fmt.Errorf("layer %d annotation %s: %w: %w", i, ocispec.AnnotationTitle, err, ErrInvalidManifest)
		}
		if titles[title] {
			return fmt.Errorf("layers %s appear twice: %w", title, ErrInvalidManifest)
		}
		titles[title] = true
		if err := checkBlobDescriptor(layer, title, limit); err != nil {
			return err
		}
		counts[layer.MediaType]++
	}

	for _, mediaType := range layerMediaTypes() {
		if counts[mediaType] != 1 {
			return fmt.Errorf("found %d layers with media type %s, expected 1: %w", counts[mediaType], mediaType, ErrInvalidManifest)
		}
	}
	for _, layer := range layers {
		title := layer.Annotations[ocispec.AnnotationTitle]
		if layer.MediaType == modelspec.MediaTypeModelWeightConfigRaw && title != MetadataFile {
			return fmt.Errorf("layer %s has media type %s, expected the title %s: %w", title, layer.MediaType, MetadataFile, ErrInvalidManifest)
		}
		if layer.MediaType == modelspec.MediaTypeModelDocRaw && title != ModelCardFile {
			return fmt.Errorf("layer %s has media type %s, expected the title %s: %w", title, layer.MediaType, ModelCardFile, ErrInvalidManifest)
		}
	}
	return nil
}

func layerMediaTypes() []string {
	return []string{modelspec.MediaTypeModelWeightRaw, modelspec.MediaTypeModelWeightConfigRaw, modelspec.MediaTypeModelDocRaw}
}

func checkBlobDescriptor(desc ocispec.Descriptor, name string, limit int64) error {
	if err := desc.Digest.Validate(); err != nil {
		return fmt.Errorf("%s has an invalid digest %q: %w", name, desc.Digest, ErrInvalidManifest)
	}
	if desc.Size < 0 {
		return fmt.Errorf("%s has a negative size %d: %w", name, desc.Size, ErrInvalidManifest)
	}
	if desc.Size > limit {
		return fmt.Errorf("%s has %d bytes, the limit is %d: %w", name, desc.Size, limit, ErrTooLarge)
	}
	return nil
}

// decodeConfig parses the ModelPack config and checks that modelfs.diffIds lists the digest
// of each layer in order, which holds because the layers are uncompressed.
func decodeConfig(data []byte, manifest ocispec.Manifest) (modelspec.Model, error) {
	var config modelspec.Model
	if err := json.Unmarshal(data, &config); err != nil {
		return modelspec.Model{}, fmt.Errorf("config %s: %w: %w", manifest.Config.Digest, err, ErrInvalidManifest)
	}
	if config.ModelFS.Type != "layers" {
		return modelspec.Model{}, fmt.Errorf("config %s has modelfs.type %q, expected \"layers\": %w", manifest.Config.Digest, config.ModelFS.Type, ErrInvalidManifest)
	}

	diffIDs := config.ModelFS.DiffIDs
	if len(diffIDs) != len(manifest.Layers) {
		return modelspec.Model{}, fmt.Errorf("config %s lists %d diffIds for %d layers: %w",
			manifest.Config.Digest, len(diffIDs), len(manifest.Layers), ErrDigestMismatch)
	}
	for i, layer := range manifest.Layers {
		if diffIDs[i] != layer.Digest {
			return modelspec.Model{}, fmt.Errorf("config %s diffIds[%d] is %s, but layer %s has digest %s: %w",
				manifest.Config.Digest, i, diffIDs[i], layer.Annotations[ocispec.AnnotationTitle], layer.Digest, ErrDigestMismatch)
		}
	}
	return config, nil
}

// readPulledMetadata parses the pulled metadata.json and checks that it names the weights layer.
func readPulledMetadata(dir string, manifest ocispec.Manifest) (Metadata, error) {
	data, err := os.ReadFile(filepath.Join(dir, MetadataFile))
	if err != nil {
		return Metadata{}, err
	}
	metadata, err := ParseMetadata(data)
	if err != nil {
		return Metadata{}, fmt.Errorf("pulled layer: %w: %w", err, ErrInvalidManifest)
	}

	for _, layer := range manifest.Layers {
		title := layer.Annotations[ocispec.AnnotationTitle]
		if layer.MediaType == modelspec.MediaTypeModelWeightRaw && title != metadata.Model.WeightsFile {
			return Metadata{}, fmt.Errorf("%s names the weights file %q, but the weights layer is %q: %w",
				MetadataFile, metadata.Model.WeightsFile, title, ErrInvalidManifest)
		}
	}
	return metadata, nil
}

// ReadFile returns the content of one file of the release after verifying it against its
// layer digest again, so a file changed on disk after the pull is ErrDigestMismatch.
func (r *Release) ReadFile(name string) ([]byte, error) {
	var names []string
	for _, layer := range r.Manifest.Layers {
		title := layer.Annotations[ocispec.AnnotationTitle]
		if title != name {
			names = append(names, title)
			continue
		}
		data, err := readFileVerified(filepath.Join(r.Dir, name), layer)
		if err != nil {
			return nil, fmt.Errorf("release %s: %w", r.Digest, err)
		}
		return data, nil
	}
	return nil, fmt.Errorf("release %s has no file %q, only %s: %w", r.Digest, name, strings.Join(names, ", "), ErrNotFound)
}

// Weights returns the content of the weights file that metadata.json names.
func (r *Release) Weights() ([]byte, error) {
	return r.ReadFile(r.Metadata.Model.WeightsFile)
}
