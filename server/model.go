package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"time"

	"github.com/go-playground/validator/v10"

	"github.com/bankml/retire/artifact"
	"github.com/bankml/retire/classifier"
)

// model is a loaded release: the classifier pipeline and what the handlers report about it.
type model struct {
	reference string
	version   string
	digest    string
	format    string
	// features are the feature names in the order the pipeline expects them.
	features []string
	// featureStats are the metadata's features, in the same order, with the range and missing
	// count observed in the training data.
	featureStats []artifact.Feature
	// inputs counts drift in the inputs of scored rows. LoadModel sets it.
	inputs   *inputCounters
	pipeline *classifier.Pipeline
	// requests validates predict requests against features.
	requests *validator.Validate
	// info is the JSON body of GET /v1/model.
	info []byte
}

// modelResponse is the body of GET /v1/model, described by schemas/model.schema.json.
type modelResponse struct {
	Name      string             `json:"name"`
	Version   string             `json:"version"`
	Digest    string             `json:"digest"`
	Reference string             `json:"reference"`
	CreatedAt time.Time          `json:"created_at"`
	Target    string             `json:"target"`
	Features  []artifact.Feature `json:"features"`
	Model     modelType          `json:"model"`
	Metrics   artifact.Metrics   `json:"metrics"`
}

type modelType struct {
	Type   string `json:"type"`
	Format string `json:"format"`
}

// loadModel pulls ref into cacheDir and loads the release. Its errors name what failed and
// the setting to check.
func loadModel(ctx context.Context, ref artifact.Reference, cfg Config, cacheDir string) (*model, error) {
	release, err := artifact.Pull(ctx, ref, artifact.PullOptions{Remote: cfg.remoteOptions(), CacheDir: cacheDir})
	if err != nil {
		return nil, describePullError(ref, cfg, err)
	}
	m, err := newModel(release)
	if errors.Is(err, errCachedFileChanged) {
		return nil, fmt.Errorf("a file of model %s changed in the cache directory %s after the pull, check that no other process writes to it and start the server again: %w: %w",
			ref, cacheDir, err, ErrModelUnavailable)
	}
	if err != nil {
		return nil, fmt.Errorf("model %s (%s) cannot be loaded, publish a fixed release under a new version and set MODEL_VERSION to it: %w: %w",
			ref, release.Digest, err, ErrInvalidModel)
	}
	return m, nil
}

// newModel builds the classifier pipeline from a pulled release's metadata and weights.
func newModel(release *artifact.Release) (*model, error) {
	metadata := release.Metadata
	features, err := featureNames(metadata.Features)
	if err != nil {
		return nil, err
	}
	weights, err := release.Weights()
	if err != nil {
		// Pull verified the file, so a failure here means that it changed on disk since.
		return nil, fmt.Errorf("read weights: %w: %w", err, errCachedFileChanged)
	}
	pipeline, err := classifier.Load(metadata.Model.Format, weights, metadata.Model.Preprocessing, features)
	if err != nil {
		return nil, err
	}
	requests, err := newRequestValidator(features)
	if err != nil {
		return nil, err
	}

	version := release.Version
	if version == "" {
		version = release.Reference.Version()
	}
	info, err := json.Marshal(modelResponse{
		Name:      metadata.Name,
		Version:   version,
		Digest:    release.Digest.String(),
		Reference: release.Reference.String(),
		CreatedAt: metadata.CreatedAt,
		Target:    metadata.Target,
		Features:  metadata.Features,
		Model:     modelType{Type: metadata.Model.Type, Format: metadata.Model.Format},
		Metrics:   metadata.Metrics,
	})
	if err != nil {
		return nil, fmt.Errorf("encode the model description: %w", err)
	}

	return &model{
		reference:    release.Reference.String(),
		version:      version,
		digest:       release.Digest.String(),
		format:       metadata.Model.Format,
		features:     features,
		featureStats: metadata.Features,
		pipeline:     pipeline,
		requests:     requests,
		info:         info,
	}, nil
}

// featureNames returns the names of features, which become the keys of each request row, so
// they must be unique and not empty.
func featureNames(features []artifact.Feature) ([]string, error) {
	if len(features) == 0 {
		return nil, fmt.Errorf("%s lists no features", artifact.MetadataFile)
	}
	names := make([]string, len(features))
	seen := make(map[string]bool, len(features))
	for i, feature := range features {
		if feature.Name == "" {
			return nil, fmt.Errorf("%s: feature %d has an empty name", artifact.MetadataFile, i)
		}
		if seen[feature.Name] {
			return nil, fmt.Errorf("%s: feature %q appears twice", artifact.MetadataFile, feature.Name)
		}
		seen[feature.Name] = true
		names[i] = feature.Name
	}
	return names, nil
}

// describePullError prefixes a pull error with what it means for the operator and the
// setting to check. The artifact error follows, then ErrModelUnavailable.
func describePullError(ref artifact.Reference, cfg Config, err error) error {
	location := "registry " + ref.Registry + "/" + ref.Repository
	if ref.IsLayout() {
		location = "OCI layout " + ref.LayoutPath
	}

	var corrupted *artifact.CorruptedBlobError
	var missing *artifact.MissingBlobError
	var summary string
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		summary = fmt.Sprintf("pulling model %s timed out after MODEL_PULL_TIMEOUT %s, check that the registry is healthy or raise MODEL_PULL_TIMEOUT",
			ref, cfg.PullTimeout)
	case errors.Is(err, artifact.ErrCacheDir):
		summary = describeCacheDirError(cfg)
	case errors.Is(err, artifact.ErrInvalidDockerConfig):
		summary = describeDockerConfigError(cfg, err)
	case errors.Is(err, artifact.ErrPlainHTTPRegistry):
		summary = fmt.Sprintf("%s responded to HTTPS with plain HTTP, set REGISTRY_PLAIN_HTTP=true to connect without TLS", location)
	case errors.As(err, &missing):
		summary = describeMissingBlob(ref, location, missing)
	case errors.Is(err, artifact.ErrNotFound):
		summary = fmt.Sprintf("model version %q not found in %s, check MODEL_VERSION and MODEL_REPOSITORY", ref.Version(), location)
	case errors.Is(err, artifact.ErrRegistryUnreachable):
		summary = fmt.Sprintf("%s is unreachable, check MODEL_REPOSITORY and that the registry runs", location)
		if !cfg.PlainHTTP {
			summary += ", and set REGISTRY_PLAIN_HTTP=true for a registry without TLS"
		}
	case errors.Is(err, artifact.ErrUnauthorized):
		summary = describeUnauthorized(location, ref, cfg)
	case errors.Is(err, artifact.ErrWrongArtifactType):
		summary = fmt.Sprintf("%s is not a model release, check that MODEL_REPOSITORY and MODEL_VERSION name a version that the trainer pushed", ref)
	case errors.Is(err, artifact.ErrWrongMediaType), errors.Is(err, artifact.ErrInvalidManifest), errors.Is(err, artifact.ErrTooLarge):
		summary = fmt.Sprintf("%s is not a valid model release, publish the model with the trainer under a new version and set MODEL_VERSION to it", ref)
	case errors.As(err, &corrupted):
		summary = describeCorruptedBlob(ref, location, corrupted)
	case errors.Is(err, artifact.ErrDigestMismatch):
		summary = fmt.Sprintf("model %s does not match its digests, so it is corrupted or was not pushed by the trainer: publish the model with the trainer under a new version and set MODEL_VERSION to it", ref)
	case errors.Is(err, artifact.ErrInvalidReference):
		summary = fmt.Sprintf("MODEL_REPOSITORY %q with MODEL_VERSION %q is not a valid reference", cfg.Repository, cfg.Version)
	default:
		summary = fmt.Sprintf("pulling model %s failed", ref)
	}
	return fmt.Errorf("%s: %w: %w", summary, err, ErrModelUnavailable)
}

// describeCorruptedBlob returns the summary for a blob whose stored copy is corrupted, with
// who can repair it and how. Pushing the release again does nothing, because a push skips
// each blob that the target stores, so the stored copy must be replaced or deleted first.
func describeCorruptedBlob(ref artifact.Reference, location string, corrupted *artifact.CorruptedBlobError) string {
	meanwhile := "Meanwhile, set MODEL_VERSION to a release that does not use this blob"
	if corrupted.Path != "" {
		return fmt.Sprintf("model %s is corrupted in %s. A push does not replace a blob that the layout stores, "+
			"so replace the file %s with a good copy, or delete it and then push the same model directory again with the trainer. %s",
			ref, location, corrupted.Path, meanwhile)
	}
	return fmt.Sprintf("model %s is corrupted in %s. A push does not replace a blob that the registry stores, "+
		"so the registry's operator must restore blob %s (%s) from a backup, or delete it from the registry's storage "+
		"and then push the same model directory again with the trainer. %s",
		ref, location, corrupted.Digest, corrupted.Name, meanwhile)
}

// describeMissingBlob returns the summary for a blob that the release's manifest lists but
// the registry or OCI layout does not store. MODEL_VERSION and MODEL_REPOSITORY are right in
// this case, and a push of the same model directory uploads the missing blob.
func describeMissingBlob(ref artifact.Reference, location string, missing *artifact.MissingBlobError) string {
	blob := fmt.Sprintf("blob %s (%s)", missing.Digest, missing.Name)
	if missing.Path != "" {
		blob = fmt.Sprintf("the file %s, blob %s (%s),", missing.Path, missing.Digest, missing.Name)
	}
	return fmt.Sprintf("model %s is incomplete in %s: %s is missing. Push the same model directory again with the trainer "+
		"to restore it, or meanwhile set MODEL_VERSION to another release", ref, location, blob)
}

// describeUnauthorized returns the summary for a 401 or 403: which credentials the registry
// rejected and where to set others.
func describeUnauthorized(location string, ref artifact.Reference, cfg Config) string {
	if cfg.Username != "" {
		return fmt.Sprintf("%s rejected the credentials for %s, check REGISTRY_USERNAME and REGISTRY_PASSWORD and that this user may pull from the repository",
			location, ref)
	}
	return fmt.Sprintf("%s denied access to %s, which needs credentials that the Docker config does not have or that the registry rejected: "+
		"set REGISTRY_USERNAME and REGISTRY_PASSWORD, or REGISTRY_DOCKER_CONFIG to a Docker config with credentials for %s",
		location, ref, ref.Registry)
}

// describeCacheDirError returns the summary for a cache directory that cannot be created or
// written.
func describeCacheDirError(cfg Config) string {
	if cfg.CacheDir != "" {
		return fmt.Sprintf("MODEL_CACHE_DIR %q cannot be used as the model cache, set it to a directory that the server can create and write, "+
			"or leave it empty for a temporary directory", cfg.CacheDir)
	}
	return "the temporary model cache cannot be written, set MODEL_CACHE_DIR to a directory that the server can create and write"
}

// describeDockerConfigError returns the summary for a Docker config that cannot be read,
// with how to fix or avoid it.
func describeDockerConfigError(cfg Config, err error) string {
	switch {
	case cfg.DockerConfig != "" && errors.Is(err, fs.ErrNotExist):
		return fmt.Sprintf("REGISTRY_DOCKER_CONFIG %q does not exist, set it to an existing Docker config.json, or leave it empty for the default Docker config", cfg.DockerConfig)
	case cfg.DockerConfig != "":
		return fmt.Sprintf("REGISTRY_DOCKER_CONFIG %q cannot be used as a Docker config, fix the file, set REGISTRY_DOCKER_CONFIG to another one, "+
			"or set REGISTRY_USERNAME and REGISTRY_PASSWORD", cfg.DockerConfig)
	}
	return "the default Docker config cannot be read, fix or remove it, set REGISTRY_DOCKER_CONFIG to another file, or set REGISTRY_USERNAME and REGISTRY_PASSWORD"
}
