package server

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/bankml/retire/classifier/metrics"
)

// routes builds the gin engine: middleware, the five routes, and JSON errors for unknown
// routes and methods. Each GET route also responds to HEAD, for which net/http sends the
// status and headers but no body.
func (s *Server) routes() *gin.Engine {
	// Release mode turns off gin's debug output. The mode is global to the process.
	gin.SetMode(gin.ReleaseMode)
	engine := gin.New()
	engine.HandleMethodNotAllowed = true
	engine.RedirectTrailingSlash = false
	engine.RedirectFixedPath = false
	// No proxy is trusted, so the client IP in access logs is the peer address and a client
	// cannot forge it with X-Forwarded-For. SetTrustedProxies(nil) cannot fail.
	_ = engine.SetTrustedProxies(nil)

	// instrument runs outside recoverPanic, so that it counts the 500 of a panic.
	engine.Use(s.assignRequestID, s.logAccess, s.metrics.instrument, s.recoverPanic)
	getRoutes := []struct {
		path    string
		handler gin.HandlerFunc
	}{
		{"/healthz", s.healthz},
		{"/readyz", s.readyz},
		{"/v1/model", s.describeModel},
		{"/metrics", gin.WrapH(s.metrics.handler())},
	}
	for _, route := range getRoutes {
		engine.GET(route.path, route.handler)
		engine.HEAD(route.path, route.handler)
	}
	engine.POST("/v1/predict", s.predict)
	engine.NoRoute(s.routeNotFound)
	engine.NoMethod(s.methodNotAllowed)
	return engine
}

// healthResponse is the body of /healthz and of a ready /readyz, described by
// schemas/health.schema.json.
type healthResponse struct {
	Status      string `json:"status"`
	Version     string `json:"version,omitempty"`
	ModelDigest string `json:"model_digest,omitempty"`
}

// healthz reports that the process runs, whether or not the model is loaded.
func (s *Server) healthz(c *gin.Context) {
	c.JSON(http.StatusOK, healthResponse{Status: "ok"})
}

// readyz reports whether the server can serve predictions.
func (s *Server) readyz(c *gin.Context) {
	if s.stopping.Load() {
		s.abortWithError(c, newClientError(errNotReady, "shutting down"))
		return
	}
	m := s.model.Load()
	if m == nil {
		s.abortWithError(c, newClientError(errNotReady, "model not loaded yet"))
		return
	}
	c.JSON(http.StatusOK, healthResponse{Status: "ready", Version: m.version, ModelDigest: m.digest})
}

// describeModel returns the loaded release's description, encoded once at load time.
func (s *Server) describeModel(c *gin.Context) {
	m := s.model.Load()
	if m == nil {
		s.abortWithError(c, newClientError(errNotReady, "model not loaded yet, retry when /readyz returns 200"))
		return
	}
	c.Data(http.StatusOK, gin.MIMEJSON+"; charset=utf-8", m.info)
}

// predict scores the rows of a predict request.
func (s *Server) predict(c *gin.Context) {
	m := s.model.Load()
	if m == nil {
		s.abortWithError(c, newClientError(errNotReady, "model not loaded yet, retry when /readyz returns 200"))
		return
	}
	// ContentType drops parameters such as charset. The type and subtype are case-insensitive
	// (HTTP/1.1, RFC 2068 section 3.7, and its successors).
	if !strings.EqualFold(c.ContentType(), gin.MIMEJSON) {
		s.abortWithError(c, newClientError(errUnsupportedMediaType,
			fmt.Sprintf("Content-Type %q is not supported, send application/json", abbreviate(c.GetHeader("Content-Type")))))
		return
	}
	if encoding := c.GetHeader("Content-Encoding"); !isIdentityEncoding(encoding) {
		// RFC 9110 section 15.5.16: a 415 for a content coding may list the accepted ones.
		c.Header("Accept-Encoding", "identity")
		s.abortWithError(c, newClientError(errUnsupportedMediaType,
			fmt.Sprintf("Content-Encoding %q is not supported, send the body uncompressed without a Content-Encoding header", abbreviate(encoding))))
		return
	}

	body, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, s.cfg.MaxBodyBytes))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			s.abortWithError(c, newClientError(errBodyTooLarge,
				fmt.Sprintf("request body is larger than the maximum of %d bytes, split the rows into several requests", tooLarge.Limit)))
			return
		}
		s.abortWithError(c, newClientError(errInvalidRequest, "reading the request body failed: "+err.Error()))
		return
	}

	rows, err := m.parseRows(body, s.cfg.MaxRows)
	if err != nil {
		s.abortWithError(c, err)
		return
	}
	c.Set(rowsKey, len(rows))

	probabilities, err := m.pipeline.PredictProba(rows)
	if err != nil {
		s.abortWithError(c, fmt.Errorf("predict %d rows with model %s: %w", len(rows), m.digest, err))
		return
	}
	s.metrics.predictedRows.Add(float64(len(rows)))
	m.inputs.observe(rows)

	predictions := make([]int, len(probabilities))
	for i, p := range probabilities {
		predictions[i] = metrics.Label(p)
	}
	c.JSON(http.StatusOK, predictResponse{
		Predictions:   predictions,
		Probabilities: probabilities,
		Version:       m.version,
		ModelDigest:   m.digest,
	})
}

// isIdentityEncoding reports whether a Content-Encoding header value leaves the body as it
// is: empty, or only "identity" codings in any case.
func isIdentityEncoding(header string) bool {
	for coding := range strings.SplitSeq(header, ",") {
		coding = strings.TrimSpace(coding)
		if coding != "" && !strings.EqualFold(coding, "identity") {
			return false
		}
	}
	return true
}

func (s *Server) routeNotFound(c *gin.Context) {
	s.abortWithError(c, newClientError(errRouteNotFound,
		fmt.Sprintf("no route %s %s, the routes are GET or HEAD /healthz, GET or HEAD /readyz, GET or HEAD /v1/model, GET or HEAD /metrics and POST /v1/predict",
			abbreviate(c.Request.Method), abbreviate(c.Request.URL.Path))))
}

// methodNotAllowed responds to a known path with the wrong method. gin has set the Allow
// header before it calls this handler.
func (s *Server) methodNotAllowed(c *gin.Context) {
	s.abortWithError(c, newClientError(errMethodNotAllowed,
		fmt.Sprintf("method %s is not allowed on %s, use %s", abbreviate(c.Request.Method), c.Request.URL.Path, c.Writer.Header().Get("Allow"))))
}

// errorResponse is the body of every error response, described by schemas/error.schema.json.
type errorResponse struct {
	Error errorBody `json:"error"`
}

type errorBody struct {
	Code      string       `json:"code"`
	Message   string       `json:"message"`
	RequestID string       `json:"request_id"`
	Details   []fieldError `json:"details,omitempty"`
}

// abortWithError sends the JSON error for err with the status from httpErrors. A clientError's
// message is sent as it is. Any other error is internal: it is logged with the request id,
// and the client gets a generic message.
func (s *Server) abortWithError(c *gin.Context, err error) {
	status, code := httpStatus(err)
	body := errorBody{Code: code, RequestID: c.GetString(requestIDKey)}

	var clientErr *clientError
	if errors.As(err, &clientErr) {
		body.Message = clientErr.message
		body.Details = clientErr.details
	} else {
		body.Message = internalErrorMessage
		s.logger.ErrorContext(c.Request.Context(), "request failed",
			"request_id", body.RequestID, "method", abbreviate(c.Request.Method), "path", abbreviate(c.Request.URL.Path), "error", err)
	}

	c.Set(errorCodeKey, code)
	c.Set(errorMessageKey, body.Message)
	c.AbortWithStatusJSON(status, errorResponse{Error: body})
}
