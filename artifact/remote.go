package artifact

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/content/oci"
	"oras.land/oras-go/v2/errdef"
	"oras.land/oras-go/v2/registry/remote"
	"oras.land/oras-go/v2/registry/remote/auth"
	"oras.land/oras-go/v2/registry/remote/credentials"
	"oras.land/oras-go/v2/registry/remote/errcode"
	"oras.land/oras-go/v2/registry/remote/retry"
)

// RemoteOptions sets how to reach a remote registry. The zero value uses HTTPS, the default
// Docker config for credentials and a retrying HTTP client. Layout references ignore it.
type RemoteOptions struct {
	// PlainHTTP selects HTTP instead of HTTPS, for a registry on localhost.
	PlainHTTP bool
	// Username and Password are the registry credentials. When both are empty, credentials
	// come from the Docker config file.
	Username, Password string
	// DockerConfigPath is the Docker config.json to read credentials from, and a path that
	// does not exist is ErrInvalidDockerConfig. Empty means $DOCKER_CONFIG/config.json, or
	// ~/.docker/config.json when DOCKER_CONFIG is unset, or anonymous access when HOME is
	// unset too. A missing default file also means anonymous access.
	DockerConfigPath string
	// HTTPClient sends the registry requests. Nil means a client with connection timeouts
	// whose transport retries 5xx, 408, 429, dial timeouts and connection resets up to
	// 5 times with exponential backoff from 200 ms to 3 s (oras-go retry.DefaultPolicy).
	HTTPClient *http.Client
}

// Timeouts of the default HTTP client. A blob upload or download may take longer than any of
// them, because they bound only connecting and waiting for response headers.
const (
	dialTimeout           = 10 * time.Second
	tlsHandshakeTimeout   = 10 * time.Second
	responseHeaderTimeout = 60 * time.Second
)

var defaultHTTPClient = sync.OnceValue(func() *http.Client {
	base := http.DefaultTransport.(*http.Transport).Clone()
	base.DialContext = (&net.Dialer{Timeout: dialTimeout, KeepAlive: 30 * time.Second}).DialContext
	base.TLSHandshakeTimeout = tlsHandshakeTimeout
	base.ResponseHeaderTimeout = responseHeaderTimeout
	return &http.Client{Transport: retry.NewTransport(base)}
})

// newRepository returns a client for the remote repository of ref. It sends no request.
func newRepository(ref Reference, opts RemoteOptions) (*remote.Repository, error) {
	repository, err := remote.NewRepository(ref.Registry + "/" + ref.Repository)
	if err != nil {
		return nil, fmt.Errorf("reference %s: %w: %w", ref, err, ErrInvalidReference)
	}

	credential, err := credentialFunc(ref, opts)
	if err != nil {
		return nil, err
	}
	httpClient := opts.HTTPClient
	if httpClient == nil {
		httpClient = defaultHTTPClient()
	}

	repository.PlainHTTP = opts.PlainHTTP
	repository.Client = &auth.Client{
		Client:     httpClient,
		Cache:      auth.NewCache(),
		Credential: credential,
	}
	return repository, nil
}

// credentialFunc returns the static credentials of opts when set, and otherwise a lookup in
// the Docker config file, which may call a credential helper that the config names. Without
// an explicit DockerConfigPath, DOCKER_CONFIG or HOME there is no Docker config to read, so
// it returns nil, which auth.Client treats as anonymous access.
func credentialFunc(ref Reference, opts RemoteOptions) (auth.CredentialFunc, error) {
	if opts.Username != "" || opts.Password != "" {
		return auth.StaticCredential(ref.Registry, auth.Credential{
			Username: opts.Username,
			Password: opts.Password,
		}), nil
	}

	var store credentials.Store
	var err error
	switch {
	case opts.DockerConfigPath != "":
		// credentials.NewStore treats a missing file as an empty config, which would hide a
		// mistyped path behind an anonymous request.
		_, statErr := os.Stat(opts.DockerConfigPath)
		if errors.Is(statErr, fs.ErrNotExist) {
			return nil, fmt.Errorf("no Docker config file at %s, check the path: %w: %w", opts.DockerConfigPath, fs.ErrNotExist, ErrInvalidDockerConfig)
		}
		if statErr != nil {
			return nil, fmt.Errorf("read Docker config: %w: %w", statErr, ErrInvalidDockerConfig)
		}
		store, err = credentials.NewStore(opts.DockerConfigPath, credentials.StoreOptions{})
		if err != nil {
			return nil, describeDockerConfigError(opts.DockerConfigPath, err)
		}
	case os.Getenv(dockerConfigEnv) == "" && !hasHomeDir():
		return nil, nil
	default:
		store, err = credentials.NewStoreFromDocker(credentials.StoreOptions{})
		if err != nil {
			return nil, describeDockerConfigError(defaultDockerConfigPath(), err)
		}
	}
	return credentials.Credential(store), nil
}

// describeDockerConfigError wraps the error of loading the Docker config at path with
// ErrInvalidDockerConfig and with what is wrong with the file: a directory, invalid JSON, or
// JSON that is not a Docker config. oras-go keeps its format error in an internal package,
// so the file is read again here to tell the cases apart.
func describeDockerConfigError(path string, err error) error {
	var problem string
	info, statErr := os.Stat(path)
	data, readErr := os.ReadFile(path)
	switch {
	case statErr == nil && info.IsDir():
		problem = "is a directory, give the path of the config.json file in it"
	case readErr != nil:
		problem = "cannot be read"
	case !json.Valid(data):
		problem = "is not valid JSON"
	default:
		problem = `is not a Docker config, which is a JSON object such as {"auths": {}}`
	}
	return fmt.Errorf("the Docker config %s %s: %w: %w", path, problem, err, ErrInvalidDockerConfig)
}

// defaultDockerConfigPath returns the file that credentials.NewStoreFromDocker reads:
// config.json in $DOCKER_CONFIG, or in ~/.docker.
func defaultDockerConfigPath() string {
	if dir := os.Getenv(dockerConfigEnv); dir != "" {
		return filepath.Join(dir, "config.json")
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return filepath.Join("~", ".docker", "config.json")
	}
	return filepath.Join(home, ".docker", "config.json")
}

// dockerConfigEnv is the variable with the directory of the Docker config.json, which
// credentials.NewStoreFromDocker reads before it falls back to ~/.docker.
const dockerConfigEnv = "DOCKER_CONFIG"

// hasHomeDir reports whether the user has a home directory, where the default Docker config
// lives. On Unix that means HOME is set and not empty.
func hasHomeDir() bool {
	_, err := os.UserHomeDir()
	return err == nil
}

// openLayoutForPush opens the OCI image layout of ref, creating the directory when missing.
func openLayoutForPush(ctx context.Context, ref Reference) (*oci.Store, error) {
	store, err := oci.NewWithContext(ctx, ref.LayoutPath)
	if err != nil {
		return nil, fmt.Errorf("open OCI layout %s: %w", ref.LayoutPath, err)
	}
	return store, nil
}

// openLayoutForPull opens the OCI image layout of ref read-only. A missing directory or
// index.json is ErrNotFound, so a typo in a path does not create an empty layout.
func openLayoutForPull(ctx context.Context, ref Reference) (oras.ReadOnlyTarget, error) {
	_, err := os.Stat(filepath.Join(ref.LayoutPath, ociIndexFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("OCI layout %s has no %s, check the path: %w", ref.LayoutPath, ociIndexFile, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("open OCI layout %s: %w", ref.LayoutPath, err)
	}

	store, err := oci.NewFromFS(ctx, os.DirFS(ref.LayoutPath))
	if err != nil {
		return nil, fmt.Errorf("open OCI layout %s: %w", ref.LayoutPath, classifyError(err))
	}
	return store, nil
}

// ociIndexFile is the entry point of an OCI image layout (image-spec v1.1, image-layout.md).
const ociIndexFile = "index.json"

// classifyError adds the sentinel that matches a registry or layout error: ErrNotFound,
// ErrUnauthorized, ErrRegistryUnreachable, ErrPlainHTTPRegistry or ErrTooLarge. Other errors
// are returned unchanged.
func classifyError(err error) error {
	kind := errorKind(err)
	if kind == nil || errors.Is(err, kind) {
		return err
	}
	if kind == ErrNotFound && errors.Is(err, errdef.ErrNotFound) {
		// Both sentinels have the text "not found", which the message needs only once.
		return fmt.Errorf("%s: %w", strings.TrimSuffix(err.Error(), ": "+errdef.ErrNotFound.Error()), ErrNotFound)
	}
	if hint := errorHints[kind]; hint != "" {
		return fmt.Errorf("%w (%s): %w", err, hint, kind)
	}
	return fmt.Errorf("%w: %w", err, kind)
}

// errorHints tell the reader of an error message what to check first.
var errorHints = map[error]string{
	ErrUnauthorized:        "check the registry username and password, or the Docker config",
	ErrRegistryUnreachable: "check the registry address and that the registry is running",
	ErrPlainHTTPRegistry:   "connect over plain HTTP: trainer push --plain-http, or REGISTRY_PLAIN_HTTP=true for model-server",
}

func errorKind(err error) error {
	var response *errcode.ErrorResponse
	if errors.As(err, &response) {
		switch response.StatusCode {
		case http.StatusUnauthorized, http.StatusForbidden:
			return ErrUnauthorized
		case http.StatusNotFound:
			return ErrNotFound
		}
	}

	switch {
	case errors.Is(err, auth.ErrBasicCredentialNotFound):
		return ErrUnauthorized
	case errors.Is(err, errdef.ErrNotFound):
		return ErrNotFound
	case errors.Is(err, errdef.ErrSizeExceedsLimit):
		return ErrTooLarge
	case errors.Is(err, context.Canceled):
		return nil
	case isPlainHTTPResponse(err):
		return ErrPlainHTTPRegistry
	case isUnreachable(err):
		return ErrRegistryUnreachable
	}
	return nil
}

// isPlainHTTPResponse reports whether err means that a plain-HTTP server responded to the TLS
// handshake. http.Client turns that tls.RecordHeaderError into http.ErrSchemeMismatch only
// when the transport returns it unwrapped, so both forms are checked.
func isPlainHTTPResponse(err error) bool {
	if errors.Is(err, http.ErrSchemeMismatch) {
		return true
	}
	var recordErr tls.RecordHeaderError
	return errors.As(err, &recordErr) && string(recordErr.RecordHeader[:]) == "HTTP/"
}

// isUnreachable reports whether err means that no HTTP response arrived: a failed DNS lookup
// or dial, a refused or reset connection, or a timeout.
func isUnreachable(err error) bool {
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return true
	}
	var opErr *net.OpError
	if errors.As(err, &opErr) && opErr.Op == "dial" {
		return true
	}
	var netErr net.Error
	if errors.As(err, &netErr) && netErr.Timeout() {
		return true
	}
	for _, errno := range []syscall.Errno{syscall.ECONNREFUSED, syscall.ECONNRESET, syscall.EHOSTUNREACH, syscall.ENETUNREACH} {
		if errors.Is(err, errno) {
			return true
		}
	}
	return false
}
