package server

import (
	"crypto/rand"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"time"

	"github.com/gin-gonic/gin"
)

// RequestIDHeader is the header that carries a request's id. A valid id from the client is
// kept, anything else is replaced by a random one, and the response always carries it.
const RequestIDHeader = "X-Request-ID"

// maxRequestIDLength bounds a client's request id, which ends up in every log line.
const maxRequestIDLength = 128

// Keys of values that handlers store in the gin context for the access log.
const (
	requestIDKey    = "request_id"
	rowsKey         = "rows"
	errorCodeKey    = "error_code"
	errorMessageKey = "error_message"
)

// assignRequestID sets the request id in the context and the response header.
func (s *Server) assignRequestID(c *gin.Context) {
	id := c.GetHeader(RequestIDHeader)
	if !validRequestID(id) {
		id = rand.Text()
	}
	c.Set(requestIDKey, id)
	c.Header(RequestIDHeader, id)
	c.Next()
}

// validRequestID reports whether id is 1 to 128 characters from letters, digits and
// "-_.:/+=@", which covers UUIDs, ULIDs and trace ids and keeps quotes and control
// characters out of logs.
func validRequestID(id string) bool {
	if id == "" || len(id) > maxRequestIDLength {
		return false
	}
	for _, r := range id {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
		case r == '-', r == '_', r == '.', r == ':', r == '/', r == '+', r == '=', r == '@':
		default:
			return false
		}
	}
	return true
}

// logAccess logs one line per request after it is served. Probes of /healthz and /readyz,
// and scrapes of /metrics, log at debug level, because orchestrators and Prometheus call them
// every few seconds. No header is logged,
// so neither are credentials.
func (s *Server) logAccess(c *gin.Context) {
	start := time.Now()
	c.Next()

	path := c.Request.URL.Path
	level := slog.LevelInfo
	if path == "/healthz" || path == "/readyz" || path == "/metrics" {
		level = slog.LevelDebug
	}
	attrs := []slog.Attr{
		slog.String("request_id", c.GetString(requestIDKey)),
		slog.String("method", abbreviate(c.Request.Method)),
		slog.String("path", abbreviate(path)),
		slog.Int("status", c.Writer.Status()),
		slog.Int("bytes", max(c.Writer.Size(), 0)),
		slog.Float64("duration_ms", float64(time.Since(start).Microseconds())/1000),
		slog.String("client_ip", c.ClientIP()),
	}
	if rows, ok := c.Get(rowsKey); ok {
		attrs = append(attrs, slog.Any("rows", rows))
	}
	if code, ok := c.Get(errorCodeKey); ok {
		attrs = append(attrs, slog.Any("error_code", code), slog.String("error", c.GetString(errorMessageKey)))
	}
	s.logger.LogAttrs(c.Request.Context(), level, "request", attrs...)
}

// recoverPanic turns a panic in a handler into a logged internal error and a 500 response,
// so one bad request cannot stop the server. http.ErrAbortHandler is re-panicked because
// net/http uses it to abort a response on purpose.
func (s *Server) recoverPanic(c *gin.Context) {
	defer func() {
		value := recover()
		if value == nil {
			return
		}
		if value == http.ErrAbortHandler {
			panic(value)
		}
		s.logger.ErrorContext(c.Request.Context(), "handler panicked",
			"request_id", c.GetString(requestIDKey), "method", abbreviate(c.Request.Method), "path", abbreviate(c.Request.URL.Path),
			"panic", fmt.Sprint(value), "stack", string(debug.Stack()))
		if c.Writer.Written() {
			// The status line is already sent, so there is no way to report the error.
			c.Abort()
			return
		}
		c.Set(errorCodeKey, codeInternal)
		c.AbortWithStatusJSON(http.StatusInternalServerError, errorResponse{Error: errorBody{
			Code:      codeInternal,
			Message:   internalErrorMessage,
			RequestID: c.GetString(requestIDKey),
		}})
	}()
	c.Next()
}
