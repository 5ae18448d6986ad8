package server

import (
	"errors"
	"fmt"
	"net/http"
	"unicode/utf8"
)

// Sentinel errors of start-up. Run wraps them with the setting, reference or address that
// failed and with what to do about it.
var (
	// ErrInvalidConfig means a setting is missing or invalid.
	ErrInvalidConfig = errors.New("invalid configuration")

	// ErrListen means the server cannot listen on its address: the port is in use, HOST is
	// not an address of this machine, or the port needs privileges.
	ErrListen = errors.New("cannot listen")

	// ErrModelUnavailable means the model release cannot be pulled or read back from the
	// cache: not found, registry unreachable, unauthorized, not a model artifact, corrupted,
	// a Docker config that cannot be read, or a cached file that changed after the pull.
	ErrModelUnavailable = errors.New("model unavailable")

	// ErrInvalidModel means the release was pulled but its weights or metadata cannot be
	// loaded into a classifier.
	ErrInvalidModel = errors.New("invalid model")

	// errCachedFileChanged means that a file of a pulled release failed verification, or could
	// not be read, between the pull and the load.
	errCachedFileChanged = errors.New("cached file changed after the pull")
)

// Kinds of HTTP errors. A handler wraps one of them in a clientError, whose message is safe to
// send. Any other error is internal: it is logged and the client gets a generic message.
var (
	errInvalidRequest       = errors.New("invalid request")
	errMalformedJSON        = errors.New("malformed JSON")
	errTooManyRows          = errors.New("too many rows")
	errBodyTooLarge         = errors.New("request body too large")
	errUnsupportedMediaType = errors.New("unsupported media type")
	errRouteNotFound        = errors.New("route not found")
	errMethodNotAllowed     = errors.New("method not allowed")
	errNotReady             = errors.New("model not loaded yet")
)

// httpErrors maps each kind of error to its HTTP status and to the code in the JSON error
// body. schemas/error.schema.json lists the same codes.
var httpErrors = []struct {
	kind   error
	status int
	code   string
}{
	{errInvalidRequest, http.StatusBadRequest, "invalid_request"},
	{errMalformedJSON, http.StatusBadRequest, "malformed_json"},
	{errTooManyRows, http.StatusRequestEntityTooLarge, "too_many_rows"},
	{errBodyTooLarge, http.StatusRequestEntityTooLarge, "body_too_large"},
	{errUnsupportedMediaType, http.StatusUnsupportedMediaType, "unsupported_media_type"},
	{errRouteNotFound, http.StatusNotFound, "not_found"},
	{errMethodNotAllowed, http.StatusMethodNotAllowed, "method_not_allowed"},
	{errNotReady, http.StatusServiceUnavailable, "not_ready"},
}

// codeInternal is the code of every error that is not in httpErrors, sent with status 500 and
// internalErrorMessage in place of the error's own text.
const (
	codeInternal         = "internal"
	internalErrorMessage = "internal server error, report the request_id to the model server's operators"
)

// httpStatus returns the HTTP status and error code for err.
func httpStatus(err error) (int, string) {
	for _, entry := range httpErrors {
		if errors.Is(err, entry.kind) {
			return entry.status, entry.code
		}
	}
	return http.StatusInternalServerError, codeInternal
}

// clientError is a mistake of the client or a state the client must wait out. Its message
// and details are sent in the response.
type clientError struct {
	kind    error
	message string
	details []fieldError
}

// fieldError is one invalid part of a request, such as field "inputs[1].Age".
type fieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

func (e *clientError) Error() string { return e.message }

func (e *clientError) Unwrap() error { return e.kind }

// newClientError returns a clientError of the given kind with a message for the client.
func newClientError(kind error, message string) *clientError {
	return &clientError{kind: kind, message: message}
}

// maxEchoBytes is the maximum length of a client's value or key that messages and logs repeat,
// so that a huge key or number in a request cannot produce a huge response or log line.
const maxEchoBytes = 64

// abbreviate returns value when it has at most maxEchoBytes bytes, and otherwise its first
// bytes up to a UTF-8 character boundary, an ellipsis and its length in bytes.
func abbreviate(value string) string {
	if len(value) <= maxEchoBytes {
		return value
	}
	end := maxEchoBytes
	for end > 0 && !utf8.RuneStart(value[end]) {
		end--
	}
	return fmt.Sprintf("%s… (%d bytes)", value[:end], len(value))
}
