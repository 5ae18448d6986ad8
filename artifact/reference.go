package artifact

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/opencontainers/go-digest"
	"oras.land/oras-go/v2/errdef"
	"oras.land/oras-go/v2/registry"
)

// layoutScheme prefixes a reference to an OCI image layout directory on disk. It is matched
// in any case, so that "OCI:PATH" is read as a layout and never as a registry host named OCI.
const layoutScheme = "oci:"

// cutLayoutScheme returns s without its "oci:" prefix, in any case, and reports whether s
// had that prefix.
func cutLayoutScheme(s string) (string, bool) {
	if len(s) < len(layoutScheme) || !strings.EqualFold(s[:len(layoutScheme)], layoutScheme) {
		return s, false
	}
	return s[len(layoutScheme):], true
}

// checkNoURLScheme rejects a reference or repository that starts with a URL scheme such as
// "http://", which registry references do not have. what is "reference" or "repository".
func checkNoURLScheme(what, s string) error {
	scheme, rest, ok := strings.Cut(s, "://")
	if !ok || strings.Contains(scheme, "/") {
		return nil
	}
	return fmt.Errorf("%s %q starts with the URL scheme %s://, which is not part of a %s: write %s: %w",
		what, s, scheme, what, rest, ErrInvalidReference)
}

// Reference names one manifest: a tag or a digest in a remote repository or in a local OCI
// image layout directory. Exactly one of Tag and Digest is set, and exactly one of
// Registry (with Repository) and LayoutPath.
type Reference struct {
	// Registry is the "host[:port]" of a remote registry, empty for an OCI layout.
	Registry string
	// Repository is the repository path inside Registry, for example "models/retire".
	Repository string
	// LayoutPath is the OCI image layout directory of an "oci:PATH" reference.
	LayoutPath string
	// Tag is the tag, empty when the reference is a digest.
	Tag string
	// Digest is the manifest digest, empty when the reference is a tag.
	Digest digest.Digest
}

// ParseReference parses "host[:port]/repo:tag", "host[:port]/repo@sha256:...",
// "oci:PATH:tag" or "oci:PATH@sha256:...". A tag must match the OCI distribution tag
// grammar; Push also requires it to be a semantic version. A reference with both a tag and
// a digest is rejected so that it is never unclear which one was pulled.
func ParseReference(s string) (Reference, error) {
	if path, ok := cutLayoutScheme(s); ok {
		return parseLayoutReference(s, path)
	}
	return parseRemoteReference(s)
}

func parseRemoteReference(s string) (Reference, error) {
	if err := checkNoURLScheme("reference", s); err != nil {
		return Reference{}, err
	}
	parsed, err := registry.ParseReference(s)
	if err != nil {
		reason := strings.TrimPrefix(err.Error(), errdef.ErrInvalidReference.Error()+": ")
		return Reference{}, fmt.Errorf("reference %q: %s, expected host[:port]/repo:VERSION or oci:PATH:VERSION%s: %w",
			s, reason, lowerCaseHint(s), ErrInvalidReference)
	}

	_, path, _ := strings.Cut(s, "/")
	if at := strings.Index(path, "@"); at >= 0 && strings.Contains(path[:at], ":") {
		return Reference{}, fmt.Errorf("reference %q has both a tag and a digest, give one: %w", s, ErrInvalidReference)
	}
	if parsed.Reference == "" {
		return Reference{}, fmt.Errorf("reference %q has no tag or digest, append :VERSION or @sha256:DIGEST: %w", s, ErrInvalidReference)
	}

	ref := Reference{Registry: parsed.Registry, Repository: parsed.Repository}
	if strings.Contains(parsed.Reference, ":") {
		ref.Digest = digest.Digest(parsed.Reference)
	} else {
		ref.Tag = parsed.Reference
	}
	return ref, nil
}

// lowerCaseHint returns a hint with the lower-case repository when the repository path of
// the remote reference s has upper-case letters, which the OCI distribution grammar forbids,
// and otherwise "".
func lowerCaseHint(s string) string {
	host, path, ok := strings.Cut(s, "/")
	if !ok {
		return ""
	}
	repository := path
	if end := strings.IndexAny(path, ":@"); end >= 0 {
		repository = path[:end]
	}
	if repository == strings.ToLower(repository) {
		return ""
	}
	return fmt.Sprintf(". Repository names are lower case: write %s/%s", host, strings.ToLower(repository))
}

// parseLayoutReference parses the PATH:tag or PATH@digest part of an "oci:" reference. The
// tag is the text after the last colon that has no slash after it, so PATH may contain colons,
// except in its last element when a digest follows, which reads as a tag and a digest.
func parseLayoutReference(s, rest string) (Reference, error) {
	var ref Reference
	if at := strings.LastIndex(rest, "@"); at >= 0 {
		dgst, err := digest.Parse(rest[at+1:])
		if err != nil {
			return Reference{}, fmt.Errorf("reference %q: invalid digest %q: %w", s, rest[at+1:], ErrInvalidReference)
		}
		ref.LayoutPath, ref.Digest = rest[:at], dgst
	} else {
		colon := strings.LastIndex(rest, ":")
		if colon < 0 || strings.Contains(rest[colon+1:], "/") {
			return Reference{}, fmt.Errorf("reference %q has no tag or digest, append :VERSION or @sha256:DIGEST: %w", s, ErrInvalidReference)
		}
		ref.LayoutPath, ref.Tag = rest[:colon], rest[colon+1:]
		if err := validateTag(ref.Tag); err != nil {
			return Reference{}, fmt.Errorf("reference %q: %w", s, err)
		}
	}

	if ref.LayoutPath == "" {
		return Reference{}, fmt.Errorf("reference %q has an empty OCI layout path: %w", s, ErrInvalidReference)
	}
	if ref.Digest != "" && strings.Contains(filepath.Base(ref.LayoutPath), ":") {
		return Reference{}, fmt.Errorf("reference %q has both a tag and a digest, give one: %w", s, ErrInvalidReference)
	}
	return ref, nil
}

// validateTag checks a tag against the OCI distribution grammar [a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}.
func validateTag(tag string) error {
	if err := (registry.Reference{Reference: tag}).ValidateReferenceAsTag(); err != nil {
		return fmt.Errorf("invalid tag %q, a tag has 1 to 128 letters, digits, '_', '.' or '-' and does not start with '.' or '-': %w", tag, ErrInvalidReference)
	}
	return nil
}

// JoinReference builds a reference from a repository ("host[:port]/repo" or "oci:PATH") and a
// version, which is a tag or a digest such as "sha256:...". It is the inverse of splitting a
// reference into the server settings MODEL_REPOSITORY and MODEL_VERSION.
func JoinReference(repository, version string) (Reference, error) {
	if repository == "" {
		return Reference{}, fmt.Errorf("empty repository, expected host[:port]/repo or oci:PATH: %w", ErrInvalidReference)
	}
	if version == "" {
		return Reference{}, fmt.Errorf("repository %q: empty version, expected a tag such as 1.2.3 or a digest sha256:...: %w", repository, ErrInvalidReference)
	}
	if err := checkNoURLScheme("repository", repository); err != nil {
		return Reference{}, err
	}
	if strings.Contains(repository, "@") {
		return Reference{}, fmt.Errorf("repository %q contains a digest, give the digest as the version: %w", repository, ErrInvalidReference)
	}
	if _, isLayout := cutLayoutScheme(repository); !isLayout {
		if _, path, _ := strings.Cut(repository, "/"); strings.Contains(path, ":") {
			return Reference{}, fmt.Errorf("repository %q contains a tag, give the tag as the version: %w", repository, ErrInvalidReference)
		}
	}

	separator := ":"
	if strings.Contains(version, ":") {
		separator = "@"
	}
	return ParseReference(repository + separator + version)
}

// String formats the reference in the syntax that ParseReference reads.
func (r Reference) String() string {
	var base string
	if r.IsLayout() {
		base = layoutScheme + r.LayoutPath
	} else {
		base = r.Registry + "/" + r.Repository
	}
	if r.Digest != "" {
		return base + "@" + r.Digest.String()
	}
	return base + ":" + r.Tag
}

// IsLayout reports whether the reference names an OCI image layout directory on disk.
func (r Reference) IsLayout() bool {
	return r.LayoutPath != ""
}

// Version returns the tag, or the digest as a string when the reference is a digest.
func (r Reference) Version() string {
	if r.Digest != "" {
		return r.Digest.String()
	}
	return r.Tag
}
