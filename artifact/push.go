package artifact

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/errdef"
	"oras.land/oras-go/v2/registry"
)

// PushOptions sets how Push reaches the registry and the values it writes besides the files.
type PushOptions struct {
	// Remote sets the connection to a remote registry; an "oci:" reference ignores it.
	Remote RemoteOptions
	// Force replaces the manifest that the tag names. Without it an existing tag is an error.
	Force bool
	// Created, Revision and Source are as in PackOptions.
	Created  time.Time
	Revision string
	Source   string
}

// Push packs dir (see Pack) and uploads it as ref, whose tag must be a semantic version (see
// ValidateVersion). It returns the manifest descriptor.
//
// Push uploads the layers, then the config, then the manifest by digest, and moves the tag
// last, so a push that fails or is cancelled part-way leaves the tag as it was. It skips each
// blob that the target already has, without reading the stored copy. An existing tag is
// ErrVersionExists unless opts.Force is set or it already names the same manifest. In that
// case Push leaves the tag and uploads only the blobs that the target lacks, such as a
// corrupted blob that the registry's operator deleted.
func Push(ctx context.Context, dir string, ref Reference, opts PushOptions) (ocispec.Descriptor, error) {
	if ref.Tag == "" {
		return ocispec.Descriptor{}, fmt.Errorf("push %s: a push needs a version tag, not a digest: %w", ref, ErrInvalidReference)
	}
	if err := ValidateVersion(ref.Tag); err != nil {
		return ocispec.Descriptor{}, fmt.Errorf("push %s: %w", ref, err)
	}

	bundle, err := Pack(dir, PackOptions{
		Version:  ref.Tag,
		Created:  opts.Created,
		Revision: opts.Revision,
		Source:   opts.Source,
	})
	if err != nil {
		return ocispec.Descriptor{}, fmt.Errorf("push %s: %w", ref, err)
	}

	target, err := openPushTarget(ctx, ref, opts.Remote)
	if err != nil {
		return ocispec.Descriptor{}, fmt.Errorf("push %s: %w", ref, err)
	}
	if err := pushBundle(ctx, target, bundle, ref.Tag, opts.Force); err != nil {
		return ocispec.Descriptor{}, fmt.Errorf("push %s: %w", ref, err)
	}
	return bundle.Descriptor, nil
}

func openPushTarget(ctx context.Context, ref Reference, opts RemoteOptions) (oras.Target, error) {
	if ref.IsLayout() {
		return openLayoutForPush(ctx, ref)
	}
	return newRepository(ref, opts)
}

// pushBundle uploads the blobs and the manifest of bundle to target and then points tag at it.
func pushBundle(ctx context.Context, target oras.Target, bundle *Bundle, tag string, force bool) error {
	existing, err := target.Resolve(ctx, tag)
	// When the tag already names this manifest, the push only restores missing blobs.
	tagged := err == nil && existing.Digest == bundle.Descriptor.Digest
	switch {
	case err == nil && !tagged && !force:
		// NOTE: another push may create the tag between this check and the tag update below,
		// because the OCI distribution API has no conditional manifest PUT.
		return fmt.Errorf("tag %s already names manifest %s, pick a new version or force the push: %w",
			tag, existing.Digest, ErrVersionExists)
	case err != nil && !errors.Is(classifyError(err), ErrNotFound):
		return fmt.Errorf("check tag %s: %w", tag, classifyError(err))
	}

	blobs := append(append([]ocispec.Descriptor{}, bundle.Manifest.Layers...), bundle.Manifest.Config)
	for _, blob := range blobs {
		if err := pushBlob(ctx, target, bundle, blob); err != nil {
			return err
		}
	}

	if err := pushIfMissing(ctx, target, bundle.Descriptor, bundle.ManifestBytes); err != nil {
		return fmt.Errorf("upload manifest %s: %w", bundle.Descriptor.Digest, classifyError(err))
	}
	if tagged {
		return nil
	}
	if err := tagManifest(ctx, target, bundle, tag); err != nil {
		return fmt.Errorf("tag manifest %s as %s: %w", bundle.Descriptor.Digest, tag, classifyError(err))
	}
	return nil
}

// pushBlob uploads one layer or the config unless the target already has it.
func pushBlob(ctx context.Context, target oras.Target, bundle *Bundle, blob ocispec.Descriptor) error {
	name := blob.Annotations[ocispec.AnnotationTitle]
	if name == "" {
		name = "config"
	}

	exists, err := target.Exists(ctx, blob)
	if err != nil {
		return fmt.Errorf("check blob %s (%s): %w", blob.Digest, name, classifyError(err))
	}
	if exists {
		return nil
	}

	content, err := bundle.openBlob(blob)
	if err != nil {
		return err
	}
	defer content.Close()
	if err := target.Push(ctx, blob, content); err != nil && !errors.Is(err, errdef.ErrAlreadyExists) {
		return fmt.Errorf("upload blob %s (%s): %w", blob.Digest, name, classifyError(err))
	}
	return nil
}

func pushIfMissing(ctx context.Context, target oras.Target, desc ocispec.Descriptor, content []byte) error {
	exists, err := target.Exists(ctx, desc)
	if err != nil {
		return err
	}
	if exists {
		return nil
	}
	err = target.Push(ctx, desc, bytes.NewReader(content))
	if errors.Is(err, errdef.ErrAlreadyExists) {
		return nil
	}
	return err
}

// tagManifest points tag at the manifest. A registry client sends the manifest again under
// the tag, which saves the extra manifest GET that Tag does.
func tagManifest(ctx context.Context, target oras.Target, bundle *Bundle, tag string) error {
	if pusher, ok := target.(registry.ReferencePusher); ok {
		return pusher.PushReference(ctx, bundle.Descriptor, bytes.NewReader(bundle.ManifestBytes), tag)
	}
	return target.Tag(ctx, bundle.Descriptor, tag)
}
