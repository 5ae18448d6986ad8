package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
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
	if err != nil {
		return nil, fmt.Errorf("model %s (%s) cannot be loaded, push a fixed release and set MODEL_VERSION to it: %w: %w",
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
		return nil, fmt.Errorf("read weights: %w", err)
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
		reference: release.Reference.String(),
		version:   version,
		digest:    release.Digest.String(),
		format:    metadata.Model.Format,
		features:  features,
		pipeline:  pipeline,
		requests:  requests,
		info:      info,
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

	var summary string
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		summary = fmt.Sprintf("pulling model %s timed out after MODEL_PULL_TIMEOUT %s, check that the registry is healthy or raise MODEL_PULL_TIMEOUT",
			ref, cfg.PullTimeout)
	case errors.Is(err, artifact.ErrNotFound):
		summary = fmt.Sprintf("model version %q not found in %s, check MODEL_VERSION and MODEL_REPOSITORY", ref.Version(), location)
	case errors.Is(err, artifact.ErrRegistryUnreachable):
		summary = fmt.Sprintf("%s is unreachable, check MODEL_REPOSITORY and that the registry runs", location)
		if !cfg.PlainHTTP {
			summary += ", and set REGISTRY_PLAIN_HTTP=true for a registry without TLS"
		}
	case errors.Is(err, artifact.ErrUnauthorized):
		summary = fmt.Sprintf("%s rejected the credentials for %s, check REGISTRY_USERNAME and REGISTRY_PASSWORD or the Docker config", location, ref)
	case errors.Is(err, artifact.ErrWrongArtifactType):
		summary = fmt.Sprintf("%s is not a model release, check that MODEL_REPOSITORY and MODEL_VERSION name a version that the trainer pushed", ref)
	case errors.Is(err, artifact.ErrWrongMediaType), errors.Is(err, artifact.ErrInvalidManifest), errors.Is(err, artifact.ErrTooLarge):
		summary = fmt.Sprintf("%s is not a valid model release, push it again with the trainer or pin another MODEL_VERSION", ref)
	case errors.Is(err, artifact.ErrDigestMismatch):
		summary = fmt.Sprintf("model %s is corrupted, its content does not match its digest: push the release again, and check the storage of %s", ref, location)
	case errors.Is(err, artifact.ErrInvalidReference):
		summary = fmt.Sprintf("MODEL_REPOSITORY %q with MODEL_VERSION %q is not a valid reference", cfg.Repository, cfg.Version)
	default:
		summary = fmt.Sprintf("pulling model %s failed", ref)
	}
	return fmt.Errorf("%s: %w: %w", summary, err, ErrModelUnavailable)
}
