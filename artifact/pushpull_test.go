package artifact

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"slices"
	"testing"

	"github.com/bankml/retire/internal/registrytest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// backend is a place to push to: a repository in a real registry, or an OCI layout.
type backend struct {
	name string
	// repository returns "host/repo" or "oci:PATH" for a new, empty repository.
	repository func(t *testing.T) string
}

var backends = []backend{
	{name: "in-memory registry", repository: func(t *testing.T) string {
		return registrytest.NewInMemory(t) + "/models/retire"
	}},
	{name: "distribution registry", repository: func(t *testing.T) string {
		return registrytest.StartDistribution(t) + "/models/retire"
	}},
	{name: "OCI layout", repository: func(t *testing.T) string {
		return "oci:" + filepath.Join(t.TempDir(), "layout")
	}},
}

func TestPushPull_RoundTrip(t *testing.T) {
	for _, backend := range backends {
		t.Run(backend.name, func(t *testing.T) {
			repository := backend.repository(t)
			remote := plainHTTP(t)
			dir := newModelDir(t, fixtureWeights)
			byTag, err := JoinReference(repository, "1.0.0")
			if err != nil {
				t.Fatal(err)
			}

			desc, err := Push(t.Context(), dir, byTag, PushOptions{Remote: remote, Created: fixtureCreated})
			if err != nil {
				t.Fatalf("Push: %v", err)
			}
			bundle := packFixture(t, dir)
			if desc.Digest != bundle.Descriptor.Digest {
				t.Errorf("Push returned digest %s, Pack gives %s", desc.Digest, bundle.Descriptor.Digest)
			}

			byDigest, err := JoinReference(repository, desc.Digest.String())
			if err != nil {
				t.Fatal(err)
			}
			for _, ref := range []Reference{byTag, byDigest} {
				release, err := Pull(t.Context(), ref, PullOptions{Remote: remote, CacheDir: t.TempDir()})
				if err != nil {
					t.Fatalf("Pull(%s): %v", ref, err)
				}
				assertRelease(t, release, dir, desc)
			}
		})
	}
}

// assertRelease checks a pulled release against the model directory that was pushed.
func assertRelease(t *testing.T, release *Release, dir string, desc ocispec.Descriptor) {
	t.Helper()
	if release.Digest != desc.Digest {
		t.Errorf("release digest = %s, want %s", release.Digest, desc.Digest)
	}
	if release.Version != "1.0.0" {
		t.Errorf("release version = %q, want 1.0.0", release.Version)
	}
	if release.Metadata.Name != "retire-logistic" || release.Metadata.Model.WeightsFile != fixtureWeightsFile {
		t.Errorf("release metadata = %+v, want the fixture metadata", release.Metadata)
	}
	if release.Config.Descriptor.Name != "retire-logistic" {
		t.Errorf("release config name = %q", release.Config.Descriptor.Name)
	}
	wantFetched := []string{fixtureWeightsFile, MetadataFile, ModelCardFile}
	if !slices.Equal(release.Fetched, wantFetched) {
		t.Errorf("Fetched = %v on a first pull, want %v", release.Fetched, wantFetched)
	}

	for _, name := range wantFetched {
		want := readFile(t, filepath.Join(dir, name))
		if got := readFile(t, filepath.Join(release.Dir, name)); !bytes.Equal(got, want) {
			t.Errorf("%s in release.Dir differs from the pushed file", name)
		}
		got, err := release.ReadFile(name)
		if err != nil {
			t.Errorf("ReadFile(%s): %v", name, err)
		} else if !bytes.Equal(got, want) {
			t.Errorf("ReadFile(%s) differs from the pushed file", name)
		}
	}
	weights, err := release.Weights()
	if err != nil || !bytes.Equal(weights, fixtureWeights) {
		t.Errorf("Weights() = %q, %v, want the fixture weights", weights, err)
	}
}

func TestPush_ExistingVersion(t *testing.T) {
	for _, backend := range backends {
		t.Run(backend.name, func(t *testing.T) {
			ref := mustParseReference(t, backend.repository(t)+":1.0.0")
			remote := plainHTTP(t)
			first := mustPush(t, newModelDir(t, []byte(`{"version":"first"}`)), ref, remote)

			secondDir := newModelDir(t, []byte(`{"version":"second"}`))
			_, err := Push(t.Context(), secondDir, ref, PushOptions{Remote: remote, Created: fixtureCreated})
			if !errors.Is(err, ErrVersionExists) {
				t.Fatalf("second Push error = %v, want ErrVersionExists", err)
			}
			assertTagWeights(t, ref, remote, first.Digest, `{"version":"first"}`)

			// Pushing the same content again changes nothing and succeeds.
			again, err := Push(t.Context(), newModelDir(t, []byte(`{"version":"first"}`)), ref, PushOptions{Remote: remote, Created: fixtureCreated})
			if err != nil {
				t.Fatalf("identical Push: %v", err)
			}
			if again.Digest != first.Digest {
				t.Errorf("identical Push returned %s, want %s", again.Digest, first.Digest)
			}

			forced, err := Push(t.Context(), secondDir, ref, PushOptions{Remote: remote, Created: fixtureCreated, Force: true})
			if err != nil {
				t.Fatalf("forced Push: %v", err)
			}
			assertTagWeights(t, ref, remote, forced.Digest, `{"version":"second"}`)

			// The replaced manifest stays reachable by digest.
			old, err := Pull(t.Context(), digestReference(ref, first), PullOptions{Remote: remote, CacheDir: t.TempDir()})
			if err != nil {
				t.Fatalf("Pull of the replaced manifest by digest: %v", err)
			}
			if weights, _ := old.Weights(); string(weights) != `{"version":"first"}` {
				t.Errorf("replaced manifest has weights %q", weights)
			}
		})
	}
}

// assertTagWeights pulls ref and checks the manifest digest and the weights it names.
func assertTagWeights(t *testing.T, ref Reference, remote RemoteOptions, wantDigest any, wantWeights string) {
	t.Helper()
	release, err := Pull(t.Context(), ref, PullOptions{Remote: remote, CacheDir: t.TempDir()})
	if err != nil {
		t.Fatalf("Pull(%s): %v", ref, err)
	}
	if release.Digest != wantDigest {
		t.Errorf("%s names %s, want %s", ref, release.Digest, wantDigest)
	}
	weights, err := release.Weights()
	if err != nil {
		t.Fatal(err)
	}
	if string(weights) != wantWeights {
		t.Errorf("%s has weights %q, want %q", ref, weights, wantWeights)
	}
}

func TestPush_RejectsBadVersion(t *testing.T) {
	host := registrytest.NewInMemory(t)
	dir := newModelDir(t, fixtureWeights)
	for _, version := range []string{"v1.0.0", "latest", "1.0", "1.0.0_build"} {
		ref := mustParseReference(t, host+"/retire:"+version)
		_, err := Push(t.Context(), dir, ref, PushOptions{Remote: plainHTTP(t)})
		if !errors.Is(err, ErrInvalidVersion) {
			t.Errorf("Push(%s) error = %v, want ErrInvalidVersion", ref, err)
		}
	}

	byDigest := mustParseReference(t, host+"/retire@"+testDigest.String())
	if _, err := Push(t.Context(), dir, byDigest, PushOptions{Remote: plainHTTP(t)}); !errors.Is(err, ErrInvalidReference) {
		t.Errorf("Push by digest error = %v, want ErrInvalidReference", err)
	}
}

func TestPull_UnknownVersion(t *testing.T) {
	for _, backend := range backends {
		t.Run(backend.name, func(t *testing.T) {
			repository := backend.repository(t)
			remote := plainHTTP(t)
			pushed := mustPush(t, newModelDir(t, fixtureWeights), mustParseReference(t, repository+":1.0.0"), remote)

			for _, version := range []string{"9.9.9", testDigest.String()} {
				ref, err := JoinReference(repository, version)
				if err != nil {
					t.Fatal(err)
				}
				_, err = Pull(t.Context(), ref, PullOptions{Remote: remote, CacheDir: t.TempDir()})
				if !errors.Is(err, ErrNotFound) {
					t.Errorf("Pull(%s) error = %v, want ErrNotFound", ref, err)
				}
			}

			// A repository that was never pushed to is also ErrNotFound.
			otherRepository := repository + "-other"
			if pushed.Reference.IsLayout() {
				otherRepository = "oci:" + filepath.Join(t.TempDir(), "missing")
			}
			ref, _ := JoinReference(otherRepository, "1.0.0")
			if _, err := Pull(t.Context(), ref, PullOptions{Remote: remote, CacheDir: t.TempDir()}); !errors.Is(err, ErrNotFound) {
				t.Errorf("Pull(%s) error = %v, want ErrNotFound", ref, err)
			}
		})
	}
}

func TestPull_RegistryUnreachable(t *testing.T) {
	ref := mustParseReference(t, registrytest.ClosedAddress(t)+"/retire:1.0.0")

	// The default client: a refused connection is not retried, so this returns at once.
	_, err := Pull(context.Background(), ref, PullOptions{Remote: RemoteOptions{PlainHTTP: true, DockerConfigPath: emptyDockerConfig(t)}})
	if !errors.Is(err, ErrRegistryUnreachable) {
		t.Fatalf("Pull error = %v, want ErrRegistryUnreachable", err)
	}
	if errors.Is(err, ErrUnauthorized) || errors.Is(err, ErrNotFound) {
		t.Errorf("Pull error = %v also matches ErrUnauthorized or ErrNotFound", err)
	}

	_, err = Push(t.Context(), newModelDir(t, fixtureWeights), ref, PushOptions{Remote: plainHTTP(t)})
	if !errors.Is(err, ErrRegistryUnreachable) {
		t.Errorf("Push error = %v, want ErrRegistryUnreachable", err)
	}
}

func BenchmarkPull_RegistryUnreachable(b *testing.B) {
	ref := mustParseReference(b, registrytest.ClosedAddress(b)+"/retire:1.0.0")
	opts := PullOptions{Remote: RemoteOptions{PlainHTTP: true, DockerConfigPath: emptyDockerConfig(b)}, CacheDir: b.TempDir()}
	for b.Loop() {
		if _, err := Pull(context.Background(), ref, opts); !errors.Is(err, ErrRegistryUnreachable) {
			b.Fatalf("Pull error = %v, want ErrRegistryUnreachable", err)
		}
	}
}
