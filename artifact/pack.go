package artifact

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"time"

	modelspec "github.com/modelpack/model-spec/specs-go/v1"
	"github.com/opencontainers/go-digest"
	specs "github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// PackOptions sets the values of a packed manifest that do not come from the model files.
// The zero value of each field other than Version means the documented default.
type PackOptions struct {
	// Version is the semantic version of the release, such as 1.2.3. Pack writes it to the
	// config and to the org.opencontainers.image.version annotation; Push tags it.
	Version string
	// Created is the creation time written to the config and the
	// org.opencontainers.image.created annotation, truncated to whole seconds in UTC.
	// Zero means metadata.json's created_at, or the current time if that is zero too.
	// Callers that build reproducibly pass the time from SOURCE_DATE_EPOCH.
	Created time.Time
	// Revision is the source control revision. Empty means metadata.json's source.revision.
	Revision string
	// Source is the URL of the source repository. Empty means metadata.json's source.repository.
	Source string
}

// Bundle is a model directory packed as a ModelPack OCI manifest, its config and its layers,
// ready to push. Layer content stays in the files of the directory.
type Bundle struct {
	// Descriptor describes the manifest: media type, digest and size.
	Descriptor ocispec.Descriptor
	// Manifest is the decoded manifest, and ManifestBytes its exact encoding.
	Manifest      ocispec.Manifest
	ManifestBytes []byte
	// Config is the decoded ModelPack config, and ConfigBytes its exact encoding.
	Config      modelspec.Model
	ConfigBytes []byte
	// Metadata is the content of metadata.json.
	Metadata Metadata

	dir string
}

// Pack validates dir with ValidateDir and builds the manifest and config that Push uploads.
// The output depends only on the file contents and opts, never on file times, owners or
// paths, so packing the same files with the same Created time gives the same manifest digest.
func Pack(dir string, opts PackOptions) (*Bundle, error) {
	if err := ValidateVersion(opts.Version); err != nil {
		return nil, err
	}

	metadata, files, err := scanModelDir(dir)
	if err != nil {
		return nil, err
	}

	layers := make([]ocispec.Descriptor, len(files))
	for i, file := range files {
		layers[i], err = describeFile(file)
		if err != nil {
			return nil, err
		}
	}

	created := resolveCreated(opts.Created, metadata.CreatedAt)
	if opts.Revision == "" {
		opts.Revision = metadata.Source.Revision
	}
	if opts.Source == "" {
		opts.Source = metadata.Source.Repository
	}

	config := buildConfig(metadata, layers, created, opts)
	configBytes, err := json.Marshal(config)
	if err != nil {
		return nil, fmt.Errorf("encode ModelPack config: %w", err)
	}
	configDescriptor := ocispec.Descriptor{
		MediaType: modelspec.MediaTypeModelConfig,
		Digest:    digest.FromBytes(configBytes),
		Size:      int64(len(configBytes)),
	}

	manifest := buildManifest(configDescriptor, layers, created, opts)
	manifestBytes, err := json.Marshal(manifest)
	if err != nil {
		return nil, fmt.Errorf("encode manifest: %w", err)
	}

	return &Bundle{
		Descriptor: ocispec.Descriptor{
			MediaType:    ocispec.MediaTypeImageManifest,
			ArtifactType: modelspec.ArtifactTypeModelManifest,
			Digest:       digest.FromBytes(manifestBytes),
			Size:         int64(len(manifestBytes)),
		},
		Manifest:      manifest,
		ManifestBytes: manifestBytes,
		Config:        config,
		ConfigBytes:   configBytes,
		Metadata:      metadata,
		dir:           dir,
	}, nil
}

// describeFile hashes a model file and returns its layer descriptor. It opens the file without
// following a symlink that replaced it after scanModelDir, and fails if the size changed.
func describeFile(file modelFile) (ocispec.Descriptor, error) {
	f, err := openRegularFile(file.path)
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	defer f.Close()

	digester := digest.SHA256.Digester()
	n, err := io.Copy(digester.Hash(), io.LimitReader(f, file.size+1))
	if err != nil {
		return ocispec.Descriptor{}, fmt.Errorf("read %s: %w", file.path, err)
	}
	if n != file.size {
		return ocispec.Descriptor{}, fmt.Errorf("%s changed size while being packed, from %d to %d bytes: %w",
			file.path, file.size, n, ErrInvalidModelDir)
	}

	return ocispec.Descriptor{
		MediaType: file.mediaType,
		Digest:    digester.Digest(),
		Size:      file.size,
		Annotations: map[string]string{
			ocispec.AnnotationTitle:      file.name,
			modelspec.AnnotationFilepath: file.name,
		},
	}, nil
}

// openRegularFile opens path and checks that the opened file is the regular file that Lstat
// reports at path, so a symlink swapped in after validation is not followed.
func openRegularFile(path string) (*os.File, error) {
	before, err := os.Lstat(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", err, ErrInvalidModelDir)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", err, ErrInvalidModelDir)
	}
	after, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("%w: %w", err, ErrInvalidModelDir)
	}
	if !before.Mode().IsRegular() || !os.SameFile(before, after) {
		f.Close()
		return nil, fmt.Errorf("%s was replaced while being packed, only regular files are packed: %w", path, ErrInvalidModelDir)
	}
	return f, nil
}

// ParseSourceDateEpoch converts the value of the SOURCE_DATE_EPOCH environment variable, whole
// seconds since 1970-01-01 UTC (https://reproducible-builds.org/specs/source-date-epoch/), to a
// time for PackOptions.Created. An empty value returns the zero time, which means the default.
func ParseSourceDateEpoch(value string) (time.Time, error) {
	if value == "" {
		return time.Time{}, nil
	}
	seconds, err := strconv.ParseInt(value, 10, 64)
	if err != nil || seconds < 0 {
		return time.Time{}, fmt.Errorf("SOURCE_DATE_EPOCH %q is not a non-negative whole number of seconds since 1970-01-01 UTC", value)
	}
	return time.Unix(seconds, 0).UTC(), nil
}

func resolveCreated(created, metadataCreated time.Time) time.Time {
	switch {
	case !created.IsZero():
	case !metadataCreated.IsZero():
		created = metadataCreated
	default:
		created = time.Now()
	}
	return created.UTC().Truncate(time.Second)
}

// buildConfig fills the ModelPack config (model-spec v0.0.7, docs/config.md). The layers are
// stored uncompressed, so each diffId is the digest of its layer.
func buildConfig(metadata Metadata, layers []ocispec.Descriptor, created time.Time, opts PackOptions) modelspec.Model {
	diffIDs := make([]digest.Digest, len(layers))
	for i, layer := range layers {
		diffIDs[i] = layer.Digest
	}

	return modelspec.Model{
		Descriptor: modelspec.ModelDescriptor{
			CreatedAt: &created,
			Family:    metadata.Model.Type,
			Name:      metadata.Name,
			SourceURL: opts.Source,
			Version:   opts.Version,
			Revision:  opts.Revision,
		},
		Config: modelspec.ModelConfig{
			Architecture: architecture(metadata.Model.Type),
			Format:       metadata.Model.Format,
		},
		ModelFS: modelspec.ModelFS{
			Type:    "layers",
			DiffIDs: diffIDs,
		},
	}
}

// architecture maps the trainer's model.type to a ModelPack architecture name. An unknown type
// is passed through unchanged.
func architecture(modelType string) string {
	switch modelType {
	case "logistic":
		return "logistic-regression"
	case "gbdt":
		return "gradient-boosted-trees"
	}
	return modelType
}

// buildManifest returns an OCI 1.1 image manifest with the ModelPack artifact type. Empty
// revision and source are left out rather than written as empty annotations.
func buildManifest(config ocispec.Descriptor, layers []ocispec.Descriptor, created time.Time, opts PackOptions) ocispec.Manifest {
	annotations := map[string]string{
		ocispec.AnnotationCreated: created.Format(time.RFC3339),
		ocispec.AnnotationVersion: opts.Version,
	}
	if opts.Revision != "" {
		annotations[ocispec.AnnotationRevision] = opts.Revision
	}
	if opts.Source != "" {
		annotations[ocispec.AnnotationSource] = opts.Source
	}

	return ocispec.Manifest{
		Versioned:    specs.Versioned{SchemaVersion: 2},
		MediaType:    ocispec.MediaTypeImageManifest,
		ArtifactType: modelspec.ArtifactTypeModelManifest,
		Config:       config,
		Layers:       layers,
		Annotations:  annotations,
	}
}

// openBlob opens the content of one of the bundle's blobs for upload.
func (b *Bundle) openBlob(desc ocispec.Descriptor) (io.ReadCloser, error) {
	if desc.Digest == b.Manifest.Config.Digest {
		return io.NopCloser(bytes.NewReader(b.ConfigBytes)), nil
	}
	return openRegularFile(filepath.Join(b.dir, desc.Annotations[ocispec.AnnotationTitle]))
}
