package server

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/bankml/retire/server/servertest"
)

// BenchmarkPredict measures POST /v1/predict through the gin engine, middleware and JSON
// access log included, without the network.
func BenchmarkPredict(b *testing.B) {
	for _, rows := range []int{1, 100, 1000} {
		b.Run(fmt.Sprintf("rows=%d", rows), func(b *testing.B) {
			ts := newLoadedServer(b, nil)
			ts.logger = NewLogger(io.Discard, Config{})
			x, _ := servertest.SyntheticRows(rows, 3)
			body := predictBody(b, servertest.Features, x)
			handler := ts.Handler()

			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				request := httptest.NewRequest(http.MethodPost, "/v1/predict", strings.NewReader(body))
				request.Header.Set("Content-Type", "application/json")
				recorder := httptest.NewRecorder()
				handler.ServeHTTP(recorder, request)
				if recorder.Code != http.StatusOK {
					b.Fatalf("status %d: %s", recorder.Code, recorder.Body)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*rows), "ns/row")
		})
	}
}
