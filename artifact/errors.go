package artifact

import (
	"errors"
	"fmt"

	"github.com/opencontainers/go-digest"
)

// Sentinel errors. Functions wrap them with the reference, file or layer that failed, so
// callers test for them with errors.Is and show the full message to people.
var (
	// ErrInvalidReference means a reference string does not have one of the forms
	// "host[:port]/repo:tag", "host[:port]/repo@sha256:...", "oci:PATH:tag" or "oci:PATH@sha256:...".
	ErrInvalidReference = errors.New("invalid reference")

	// ErrInvalidVersion means a version tag is not a semantic version such as 1.2.3.
	ErrInvalidVersion = errors.New("invalid version")

	// ErrVersionExists means the tag to push already names a manifest and the push was not forced.
	ErrVersionExists = errors.New("version already exists")

	// ErrNotFound means the registry or OCI layout has no manifest for the tag or digest.
	ErrNotFound = errors.New("not found")

	// ErrMissingBlob means the manifest exists but a config or layer blob that it lists does
	// not. A *MissingBlobError names the blob.
	ErrMissingBlob = errors.New("blob missing")

	// ErrWrongArtifactType means the manifest is not a ModelPack model manifest.
	ErrWrongArtifactType = errors.New("wrong artifact type")

	// ErrWrongMediaType means the manifest, its config or one of its layers has a media type
	// that this package does not read, or the layers do not match the expected set of files.
	ErrWrongMediaType = errors.New("wrong media type")

	// ErrInvalidManifest means a manifest or ModelPack config is malformed or does not
	// describe a model directory: bad JSON, a missing or duplicate layer, or a bad file name.
	ErrInvalidManifest = errors.New("invalid manifest")

	// ErrDigestMismatch means content does not hash to the digest that names it: a corrupted
	// blob, a corrupted cache file, or a config whose diffIds disagree with the layers.
	ErrDigestMismatch = errors.New("digest mismatch")

	// ErrTooLarge means a file, blob or manifest is larger than the size limit for its kind.
	ErrTooLarge = errors.New("too large")

	// ErrInvalidModelDir means a model directory cannot be packed: a file is missing, extra,
	// not a regular file, too large, or metadata.json is invalid.
	ErrInvalidModelDir = errors.New("invalid model directory")

	// ErrCacheDir means the cache directory of a pull cannot be created or written, such as a
	// path below a regular file or a directory without write permission.
	ErrCacheDir = errors.New("cache directory not writable")

	// ErrRegistryUnreachable means no HTTP response came back from the registry: connection
	// refused, DNS failure or timeout.
	ErrRegistryUnreachable = errors.New("registry unreachable")

	// ErrUnauthorized means the registry responded with 401 or 403, or requested credentials
	// that were not given: credentials are missing, wrong, or lack the pull or push permission.
	ErrUnauthorized = errors.New("unauthorized")

	// ErrPlainHTTPRegistry means the registry responded to an HTTPS request with plain HTTP, so
	// the connection needs RemoteOptions.PlainHTTP.
	ErrPlainHTTPRegistry = errors.New("registry speaks plain HTTP")

	// ErrInvalidDockerConfig means the Docker config file that RemoteOptions.DockerConfigPath
	// names does not exist, or a Docker config file cannot be read or parsed.
	ErrInvalidDockerConfig = errors.New("invalid Docker config")
)

// CorruptedBlobError reports a config or layer blob whose content, as the registry or OCI
// layout served it, does not match its digest or size. Pushing the release again does not
// replace the stored copy, because a push skips the blobs that the target already has, and
// the distribution registry keeps its stored copy even when the same digest is uploaded
// again. The error wraps ErrDigestMismatch.
type CorruptedBlobError struct {
	// Reference is the release that was pulled.
	Reference Reference
	// Digest is the digest that the manifest gives for the blob.
	Digest digest.Digest
	// Name is the file name of a layer, or "config".
	Name string
	// Path is the blob's file in an OCI image layout, empty for a registry.
	Path string
	// Err is the verification error.
	Err error
}

func (e *CorruptedBlobError) Error() string {
	location := "registry " + e.Reference.Registry + "/" + e.Reference.Repository
	if e.Path != "" {
		location = "OCI layout file " + e.Path
	}
	return fmt.Sprintf("blob %s (%s) in %s is corrupted: %v", e.Digest, e.Name, location, e.Err)
}

func (e *CorruptedBlobError) Unwrap() error { return e.Err }

// MissingBlobError reports a config or layer blob that the manifest lists but the registry or
// OCI layout does not store, so the release cannot be pulled although its manifest exists.
// Pushing the same model directory again uploads the blob, because a push sends each blob
// that the target lacks. The error wraps ErrMissingBlob and the fetch error, which wraps
// ErrNotFound.
type MissingBlobError struct {
	// Reference is the release that was pulled.
	Reference Reference
	// Digest is the digest that the manifest gives for the blob.
	Digest digest.Digest
	// Name is the file name of a layer, or "config".
	Name string
	// Path is the blob's file in an OCI image layout, empty for a registry.
	Path string
	// Err is the fetch error.
	Err error
}

func (e *MissingBlobError) Error() string {
	location := "registry " + e.Reference.Registry + "/" + e.Reference.Repository
	if e.Path != "" {
		location = "OCI layout file " + e.Path
	}
	return fmt.Sprintf("blob %s (%s) is missing from %s: %v", e.Digest, e.Name, location, e.Err)
}

func (e *MissingBlobError) Unwrap() []error { return []error{ErrMissingBlob, e.Err} }
