package artifact

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// cacheEntry is the cache directory of one manifest digest:
//
//	<CacheDir>/<algorithm>/<hex>/manifest.json
//	<CacheDir>/<algorithm>/<hex>/config.json
//	<CacheDir>/<algorithm>/<hex>/files/<layer title>
type cacheEntry struct {
	dir string
}

// newCacheEntry returns the entry of a manifest digest, which the caller has validated so that
// its encoded part is hex and cannot form a path.
func newCacheEntry(cacheDir string, manifestDigest digest.Digest) cacheEntry {
	return cacheEntry{dir: filepath.Join(cacheDir, manifestDigest.Algorithm().String(), manifestDigest.Encoded())}
}

func (e cacheEntry) manifestPath() string { return filepath.Join(e.dir, "manifest.json") }
func (e cacheEntry) configPath() string   { return filepath.Join(e.dir, "config.json") }
func (e cacheEntry) filesDir() string     { return filepath.Join(e.dir, "files") }

// readVerifiedFile returns the content of path if it exists, is at most limit bytes and
// matches desc.Digest (and desc.Size when it is set). Any failure reports false, so the
// caller downloads the content instead.
func readVerifiedFile(path string, desc ocispec.Descriptor, limit int64) ([]byte, bool) {
	file, err := os.Open(path)
	if err != nil {
		return nil, false
	}
	defer file.Close()

	data, err := io.ReadAll(io.LimitReader(file, limit+1))
	if err != nil || int64(len(data)) > limit {
		return nil, false
	}
	if desc.Size == 0 {
		desc.Size = int64(len(data))
	}
	return data, verifyBytes(data, desc) == nil
}

// verifyBytes checks that data has the size and digest of desc.
func verifyBytes(data []byte, desc ocispec.Descriptor) error {
	if err := desc.Digest.Validate(); err != nil {
		return fmt.Errorf("invalid digest %q: %w", desc.Digest, ErrInvalidManifest)
	}
	if int64(len(data)) != desc.Size {
		return fmt.Errorf("content has %d bytes, expected %d: %w", len(data), desc.Size, ErrDigestMismatch)
	}
	if got := desc.Digest.Algorithm().FromBytes(data); got != desc.Digest {
		return fmt.Errorf("content has digest %s, expected %s: %w", got, desc.Digest, ErrDigestMismatch)
	}
	return nil
}

// verifyFile checks that the file at path has the size and digest of desc. A missing file
// returns an error that wraps os.ErrNotExist.
func verifyFile(path string, desc ocispec.Descriptor) error {
	file, err := os.Open(path)
	if err != nil {
		return err
	}
	defer file.Close()
	return verifyReader(file, desc, io.Discard)
}

// readFileVerified returns the content of path after checking it against desc.
func readFileVerified(path string, desc ocispec.Descriptor) ([]byte, error) {
	file, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer file.Close()

	// Growing the buffer once keeps a large weights file from being copied each time the
	// buffer doubles. desc.Size comes from a manifest, so only sizes within the limit count.
	var buffer bytes.Buffer
	if desc.Size >= 0 && desc.Size <= MaxWeightsSize {
		buffer.Grow(int(desc.Size) + 1)
	}
	if err := verifyReader(file, desc, &buffer); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return buffer.Bytes(), nil
}

// verifyReader copies r to w while hashing it, and checks the size and digest of desc. It reads
// at most desc.Size+1 bytes, so a longer stream fails without being read to the end.
func verifyReader(r io.Reader, desc ocispec.Descriptor, w io.Writer) error {
	if err := desc.Digest.Validate(); err != nil {
		return fmt.Errorf("invalid digest %q: %w", desc.Digest, ErrInvalidManifest)
	}

	digester := desc.Digest.Algorithm().Digester()
	n, err := io.Copy(io.MultiWriter(w, digester.Hash()), io.LimitReader(r, desc.Size+1))
	if err != nil {
		return err
	}
	if n != desc.Size {
		return fmt.Errorf("content has %s bytes, expected %d: %w", describeCount(n, desc.Size), desc.Size, ErrDigestMismatch)
	}
	if got := digester.Digest(); got != desc.Digest {
		return fmt.Errorf("content has digest %s, expected %s: %w", got, desc.Digest, ErrDigestMismatch)
	}
	return nil
}

func describeCount(n, expected int64) string {
	if n > expected {
		return fmt.Sprintf("more than %d", expected)
	}
	return fmt.Sprint(n)
}

// writeVerifiedFile writes r to path through a temporary file in the same directory, which
// is renamed into place only after the content matched desc and was synced to disk.
func writeVerifiedFile(path string, r io.Reader, desc ocispec.Descriptor) (err error) {
	temp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("create temporary file: %w: %w", err, ErrCacheDir)
	}
	defer func() {
		if err != nil {
			temp.Close()
			os.Remove(temp.Name())
		}
	}()

	if err := verifyReader(r, desc, temp); err != nil {
		return err
	}
	return commitTempFile(temp, path)
}

// writeFileAtomic writes data to path through a temporary file and a rename. It writes nothing
// when path already has exactly this content, so a read-only cache that is complete still works.
func writeFileAtomic(path string, data []byte) (err error) {
	if existing, readErr := os.ReadFile(path); readErr == nil && bytes.Equal(existing, data) {
		return nil
	}

	temp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("create temporary file: %w: %w", err, ErrCacheDir)
	}
	defer func() {
		if err != nil {
			temp.Close()
			os.Remove(temp.Name())
		}
	}()

	if _, err := temp.Write(data); err != nil {
		return fmt.Errorf("write %s: %w", temp.Name(), err)
	}
	return commitTempFile(temp, path)
}

// commitTempFile syncs and closes temp, makes it readable by all, and renames it to path.
// Its errors wrap ErrCacheDir.
func commitTempFile(temp *os.File, path string) error {
	if err := syncAndRename(temp, path); err != nil {
		return fmt.Errorf("%w: %w", err, ErrCacheDir)
	}
	return nil
}

func syncAndRename(temp *os.File, path string) error {
	if err := temp.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", temp.Name(), err)
	}
	if err := temp.Chmod(0o644); err != nil {
		return fmt.Errorf("chmod %s: %w", temp.Name(), err)
	}
	if err := temp.Close(); err != nil {
		return fmt.Errorf("close %s: %w", temp.Name(), err)
	}
	if err := os.Rename(temp.Name(), path); err != nil {
		return errors.Join(fmt.Errorf("rename %s to %s: %w", temp.Name(), path, err), os.Remove(temp.Name()))
	}
	return nil
}
