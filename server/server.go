// Package server is the HTTP model server. At start-up it opens its listener, pulls the one
// model release that MODEL_REPOSITORY and MODEL_VERSION name, loads it into a classifier and
// only then reports ready. It serves:
//
//	GET  /healthz     200 while the process runs
//	GET  /readyz      200 once the model is loaded, 503 before that and while shutting down
//	GET  /v1/model    the loaded release: version, digest, features, metrics
//	POST /v1/predict  {"inputs":[{"Age":39.2,"Savings":322349.87}]} → predictions
//	GET  /metrics     Prometheus metrics, also before the model is loaded
//
// HEAD on each GET route returns the status and headers of GET without a body. A predict
// body must be uncompressed: any Content-Encoding other than identity gets 415.
//
// /metrics serves Prometheus metrics from a registry of the server's own. They count requests
// and their duration by gin route template, scored rows, and null and out-of-range input
// values by feature. They also give the loaded release's version and digest, readiness, and
// the Go runtime and process collectors. An input value is out of range when it lies outside the [min, max] that the
// release's metadata records for the feature in the training data. Such values are counted so
// that operators see drift, and are scored as usual.
//
// A predict request has the shape of the FastAPI service it replaces. Each row must contain
// every feature that /v1/model lists: a missing value is sent as null, and an absent key is
// rejected, so that a misspelled feature name is never scored as a missing value. A key that
// appears twice in a row, or "inputs" twice in the body, is rejected too. Every error
// response has the body {"error":{"code","message","request_id"}} described in
// schemas/error.schema.json, and httpErrors in errors.go maps each code to its status.
//
// NOTE: Request headers larger than 68 KiB (MaxHeaderBytes of 64 KiB plus the 4 KiB that
// net/http allows on top) get 431 Request Header Fields Too Large with a plain-text body and
// no X-Request-ID, because net/http rejects them before any handler runs.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/gin-gonic/gin"
)

// Timeouts and limits of the HTTP server. Predictions take microseconds, so these only bound
// slow or stuck clients.
const (
	readHeaderTimeout = 5 * time.Second
	readTimeout       = 30 * time.Second
	writeTimeout      = 30 * time.Second
	idleTimeout       = 2 * time.Minute
	maxHeaderBytes    = 64 << 10
)

// Server serves predictions of one model release.
type Server struct {
	cfg     Config
	logger  *slog.Logger
	engine  *gin.Engine
	metrics *serverMetrics

	// model is nil until LoadModel succeeds.
	model atomic.Pointer[model]
	// stopping is set when shutdown begins, so that /readyz turns 503 while requests drain.
	stopping atomic.Bool
}

// New validates cfg, fills in defaults and returns a server that is not ready until
// LoadModel succeeds. The logger receives access logs, internal errors and lifecycle events.
func New(cfg Config, logger *slog.Logger) (*Server, error) {
	cfg = cfg.withDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, logger: logger}
	s.metrics = newServerMetrics(s)
	s.engine = s.routes()
	return s, nil
}

// Handler returns the HTTP handler of all routes.
func (s *Server) Handler() http.Handler {
	return s.engine
}

// Run listens on the configured address, then serves until ctx is cancelled, as Serve does.
// A busy port fails at once, before the model is pulled.
func Run(ctx context.Context, cfg Config, logger *slog.Logger) error {
	s, err := New(cfg, logger)
	if err != nil {
		return err
	}
	logger.Info("starting model server", "config", s.cfg)

	address := s.cfg.address()
	listener, err := (&net.ListenConfig{}).Listen(ctx, "tcp", address)
	if err != nil {
		return describeListenError(s.cfg, address, err)
	}
	return s.Serve(ctx, listener)
}

// describeListenError wraps a listen error with ErrListen and with what is wrong: the port is
// in use, HOST is not an address of this machine or cannot be resolved, or a port below 1024
// needs privileges.
func describeListenError(cfg Config, address string, err error) error {
	var dnsErr *net.DNSError
	var summary string
	switch {
	case errors.Is(err, syscall.EADDRINUSE):
		summary = fmt.Sprintf("port %d is in use, stop the process that uses it or set PORT to a free port", cfg.Port)
	case errors.Is(err, syscall.EADDRNOTAVAIL):
		summary = fmt.Sprintf("HOST %q is not an address of this machine, set HOST to one of its addresses or leave it empty to listen on every interface", cfg.Host)
	case errors.As(err, &dnsErr):
		summary = fmt.Sprintf("HOST %q cannot be resolved to an address, set HOST to an IP address or a resolvable host name of this machine", cfg.Host)
	case errors.Is(err, syscall.EACCES) && cfg.Port < 1024:
		summary = fmt.Sprintf("permission denied for port %d, set PORT to 1024 or higher, or allow the process to bind low ports", cfg.Port)
	default:
		summary = "check HOST and PORT"
	}
	return fmt.Errorf("listen on %s failed, %s: %w: %w", address, summary, err, ErrListen)
}

// Serve serves HTTP on listener while it pulls and loads the model, so that /healthz responds
// and /readyz returns 503 during the pull. It returns the pull or load error, after closing
// the listener, if the model cannot be loaded. Once ctx is cancelled it stops accepting
// connections, lets in-flight requests finish within ShutdownTimeout and returns nil.
func (s *Server) Serve(ctx context.Context, listener net.Listener) error {
	httpServer := &http.Server{
		Handler:           s.engine,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(s.logger.Handler(), slog.LevelWarn),
	}
	served := make(chan error, 1)
	go func() { served <- httpServer.Serve(listener) }()
	s.logger.Info("listening", "address", listener.Addr().String())

	loadCtx, cancelLoad := context.WithCancel(ctx)
	defer cancelLoad()
	loaded := make(chan error, 1)
	go func() { loaded <- s.LoadModel(loadCtx) }()

	for {
		select {
		case err := <-loaded:
			loaded = nil
			if err != nil && ctx.Err() == nil {
				if shutdownErr := s.shutdown(ctx, httpServer, served); shutdownErr != nil {
					s.logger.Warn("shutdown after failed start-up", "error", shutdownErr)
				}
				return err
			}
		case err := <-served:
			cancelLoad()
			if loaded != nil {
				<-loaded
			}
			return fmt.Errorf("serve HTTP on %s: %w", listener.Addr(), err)
		case <-ctx.Done():
			cancelLoad()
			if loaded != nil {
				<-loaded
				s.logger.Info("start-up interrupted by shutdown")
			}
			s.logger.Info("shutting down", "timeout", s.cfg.ShutdownTimeout.String())
			if err := s.shutdown(ctx, httpServer, served); err != nil {
				return err
			}
			s.logger.Info("stopped")
			return nil
		}
	}
}

// isReady reports whether the model is loaded and shutdown has not begun, which is when
// /readyz returns 200.
func (s *Server) isReady() bool {
	return s.model.Load() != nil && !s.stopping.Load()
}

// shutdown stops accepting connections and waits up to ShutdownTimeout for in-flight requests.
func (s *Server) shutdown(ctx context.Context, httpServer *http.Server, served <-chan error) error {
	s.stopping.Store(true)

	// ctx is already cancelled when a signal arrived, so the drain gets its own deadline.
	drainCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.cfg.ShutdownTimeout)
	defer cancel()
	shutdownErr := httpServer.Shutdown(drainCtx)
	if shutdownErr != nil {
		// Close ends the connections that are still active, so Serve returns below.
		_ = httpServer.Close()
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve HTTP: %w", err)
	}
	if shutdownErr != nil {
		return fmt.Errorf("in-flight requests did not finish within SHUTDOWN_TIMEOUT %s and were cut off: %w", s.cfg.ShutdownTimeout, shutdownErr)
	}
	return nil
}

// LoadModel pulls the configured release, loads it into a classifier and marks the server
// ready. It gives up after PullTimeout. Serve calls it once. A later call pulls and loads
// again but keeps the first model, because a server serves one release for its lifetime.
func (s *Server) LoadModel(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.PullTimeout)
	defer cancel()

	cacheDir := s.cfg.CacheDir
	if cacheDir == "" {
		// The pipeline is in memory once loaded, so a temporary cache is removed right away.
		tempDir, err := os.MkdirTemp("", "model-server-cache-")
		if err != nil {
			return fmt.Errorf("create a temporary model cache, or set MODEL_CACHE_DIR: %w", err)
		}
		defer func() {
			if err := os.RemoveAll(tempDir); err != nil {
				s.logger.Warn("remove temporary model cache", "dir", tempDir, "error", err)
			}
		}()
		cacheDir = tempDir
	}

	ref, err := s.cfg.reference()
	if err != nil {
		return fmt.Errorf("MODEL_REPOSITORY %q with MODEL_VERSION %q: %w: %w", s.cfg.Repository, s.cfg.Version, err, ErrInvalidConfig)
	}
	s.logger.Info("pulling model", "reference", ref.String())
	start := time.Now()
	m, err := loadModel(ctx, ref, s.cfg, cacheDir)
	if err != nil {
		return err
	}

	// The counters exist before the model is published, so that no request can use the model
	// without them. A second call with the same features resolves the same series.
	m.inputs = s.metrics.newInputCounters(m.featureStats)
	if s.model.CompareAndSwap(nil, m) {
		s.metrics.setModel(m)
		s.logger.Info("model loaded, ready",
			"reference", m.reference, "version", m.version, "digest", m.digest,
			"features", m.features, "format", m.format, "duration_ms", time.Since(start).Milliseconds())
	}
	return nil
}
