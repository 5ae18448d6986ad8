package server

import (
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/bankml/retire/artifact"
)

// unmatchedRoute is the route label of a request that matches no route, so that scanners
// probing random paths cannot create a series per path.
const unmatchedRoute = "unmatched"

// otherMethod is the method label of a request whose method is not a standard HTTP method.
const otherMethod = "other"

// statusLabels are the code labels of the statuses 0 to 599, formatted once, because
// strconv.Itoa allocates for numbers of three digits.
var statusLabels = func() (labels [600]string) {
	for code := range labels {
		labels[code] = strconv.Itoa(code)
	}
	return labels
}()

// statusLabel returns the code label of status.
func statusLabel(status int) string {
	if status >= 0 && status < len(statusLabels) {
		return statusLabels[status]
	}
	return strconv.Itoa(status)
}

// durationBuckets are the upper bounds in seconds of the request duration histogram. A
// prediction of one row takes tens of microseconds and one of 1,000 rows a few milliseconds,
// so the buckets start at 100 µs and end at the 30 s write timeout.
var durationBuckets = []float64{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30}

// serverMetrics are the Prometheus metrics of one Server, in a registry of their own so that
// two servers in one process, as in tests, do not share counters.
type serverMetrics struct {
	registry *prometheus.Registry

	requests      *prometheus.CounterVec
	duration      *prometheus.HistogramVec
	predictedRows prometheus.Counter
	outOfRange    *prometheus.CounterVec
	missing       *prometheus.CounterVec
	modelInfo     *prometheus.GaugeVec
}

// newServerMetrics registers the metrics of s, the Go runtime and the process. The ready
// gauge reads the same state as /readyz when it is scraped.
func newServerMetrics(s *Server) *serverMetrics {
	m := &serverMetrics{
		registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "model_server_requests_total",
			Help: `HTTP requests served, by gin route template ("unmatched" for unknown routes), method and status code.`,
		}, []string{"route", "method", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "model_server_request_duration_seconds",
			Help:    `Time from receiving the request headers to writing the response, by gin route template.`,
			Buckets: durationBuckets,
		}, []string{"route"}),
		predictedRows: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "model_server_predicted_rows_total",
			Help: "Rows scored by successful predict requests.",
		}),
		outOfRange: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "model_server_input_out_of_range_total",
			Help: "Input values of scored rows outside the [min, max] range of the feature in the training data. A rising rate means the inputs drift from the training data.",
		}, []string{"feature"}),
		missing: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "model_server_missing_values_total",
			Help: "Null input values of scored rows, which the model imputes.",
		}, []string{"feature"}),
		modelInfo: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "model_server_model_info",
			Help: "1 for the loaded model release. The series appears once the model is loaded.",
		}, []string{"version", "digest", "format"}),
	}
	ready := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "model_server_ready",
		Help: "1 while /readyz returns 200, 0 before the model is loaded and while shutting down.",
	}, func() float64 {
		if s.isReady() {
			return 1
		}
		return 0
	})

	m.registry.MustRegister(
		m.requests, m.duration, m.predictedRows, m.outOfRange, m.missing, m.modelInfo, ready,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	return m
}

// handler returns the handler of /metrics, which writes the registry in the Prometheus text
// format, or in another format that the scraper negotiates.
func (m *serverMetrics) handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{Registry: m.registry})
}

// instrument counts each request and observes its duration after the handlers have run.
func (m *serverMetrics) instrument(c *gin.Context) {
	start := time.Now()
	c.Next()

	route := c.FullPath()
	if route == "" {
		route = unmatchedRoute
	}
	m.requests.WithLabelValues(route, methodLabel(c.Request.Method), statusLabel(c.Writer.Status())).Inc()
	m.duration.WithLabelValues(route).Observe(time.Since(start).Seconds())
}

// methodLabel returns method if it is a standard HTTP method and otherMethod if not, because
// a client can send any token as the method.
func methodLabel(method string) string {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodConnect, http.MethodOptions, http.MethodTrace:
		return method
	}
	return otherMethod
}

// setModel publishes the info series of a loaded release.
func (m *serverMetrics) setModel(loaded *model) {
	m.modelInfo.WithLabelValues(loaded.version, loaded.digest, loaded.format).Set(1)
}

// inputCounters are the drift counters of one model's features, resolved once at load time so
// that a predict request does no label lookup.
type inputCounters struct {
	// minimums and maximums are the training range of each feature, in the order of
	// model.features.
	minimums, maximums []float64
	outOfRange         []prometheus.Counter
	missing            []prometheus.Counter
}

// newInputCounters returns the counters of features and creates their series at 0, so that a
// feature without drift is shown as such rather than as absent.
func (m *serverMetrics) newInputCounters(features []artifact.Feature) *inputCounters {
	counters := &inputCounters{
		minimums:   make([]float64, len(features)),
		maximums:   make([]float64, len(features)),
		outOfRange: make([]prometheus.Counter, len(features)),
		missing:    make([]prometheus.Counter, len(features)),
	}
	for j, feature := range features {
		counters.minimums[j] = feature.Min
		counters.maximums[j] = feature.Max
		counters.outOfRange[j] = m.outOfRange.WithLabelValues(feature.Name)
		counters.missing[j] = m.missing.WithLabelValues(feature.Name)
	}
	return counters
}

// observe counts the missing and out-of-range values of rows, whose columns are in the order
// of the features. It adds to each counter once per request, not once per value.
func (counters *inputCounters) observe(rows [][]float64) {
	features := len(counters.minimums)
	// tallies contains the out-of-range counts of all features, then their missing counts.
	// Models of up to 16 features, such as the fixture's 2, count on the stack.
	var stack [32]int
	var tallies []int
	if 2*features <= len(stack) {
		tallies = stack[:2*features]
	} else {
		tallies = make([]int, 2*features)
	}
	for _, row := range rows {
		for j, value := range row {
			switch {
			case math.IsNaN(value):
				tallies[features+j]++
			case value < counters.minimums[j] || value > counters.maximums[j]:
				tallies[j]++
			}
		}
	}
	for j := range features {
		if tallies[j] > 0 {
			counters.outOfRange[j].Add(float64(tallies[j]))
		}
		if tallies[features+j] > 0 {
			counters.missing[j].Add(float64(tallies[features+j]))
		}
	}
}
