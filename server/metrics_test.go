package server

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/bankml/retire/schemas"
)

// scrape gets /metrics and returns each sample by its series as the text format writes it,
// such as `model_server_requests_total{code="200",method="POST",route="/v1/predict"}`.
func (ts *testServer) scrape(t testing.TB) map[string]float64 {
	t.Helper()
	resp := ts.do(t, http.MethodGet, "/metrics", "", "")
	if resp.status != http.StatusOK {
		t.Fatalf("GET /metrics: status %d, want 200: %s", resp.status, resp.body)
	}
	if contentType := resp.header.Get("Content-Type"); !strings.HasPrefix(contentType, "text/plain") {
		t.Fatalf("GET /metrics: Content-Type %q, want the text format", contentType)
	}

	samples := make(map[string]float64)
	for line := range strings.Lines(string(resp.body)) {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		cut := strings.LastIndexByte(line, ' ')
		value, err := strconv.ParseFloat(line[cut+1:], 64)
		if err != nil {
			t.Fatalf("GET /metrics: line %q has no number at its end: %v", line, err)
		}
		samples[line[:cut]] = value
	}
	return samples
}

// assertSample fails the test unless samples contains series with the value want.
func assertSample(t testing.TB, samples map[string]float64, series string, want float64) {
	t.Helper()
	got, ok := samples[series]
	if !ok {
		t.Errorf("no series %s in /metrics", series)
		return
	}
	if got != want {
		t.Errorf("%s = %v, want %v", series, got, want)
	}
}

func TestMetrics_BeforeAndAfterLoad(t *testing.T) {
	ts := newTestServer(t, nil)

	before := ts.scrape(t)
	assertSample(t, before, "model_server_ready", 0)
	assertSample(t, before, "model_server_predicted_rows_total", 0)
	for series := range before {
		if strings.HasPrefix(series, "model_server_model_info") {
			t.Errorf("series %s before the model is loaded", series)
		}
	}
	for _, name := range []string{"go_goroutines", "process_cpu_seconds_total"} {
		if _, ok := before[name]; !ok {
			t.Errorf("no series %s of the Go runtime and process collectors", name)
		}
	}

	if err := ts.LoadModel(t.Context()); err != nil {
		t.Fatal(err)
	}

	after := ts.scrape(t)
	assertSample(t, after, "model_server_ready", 1)
	info := fmt.Sprintf(`model_server_model_info{digest=%q,format=%q,version=%q}`,
		ts.model.Digest.String(), ts.model.Metadata.Model.Format, fixtureVersion)
	assertSample(t, after, info, 1)
	for _, feature := range ts.model.Metadata.Features {
		assertSample(t, after, fmt.Sprintf(`model_server_input_out_of_range_total{feature=%q}`, feature.Name), 0)
		assertSample(t, after, fmt.Sprintf(`model_server_missing_values_total{feature=%q}`, feature.Name), 0)
	}

	ts.stopping.Store(true)
	assertSample(t, ts.scrape(t), "model_server_ready", 0)
}

func TestMetrics_CountPredictRequests(t *testing.T) {
	ts := newLoadedServer(t, nil)
	age, savings := ts.model.Metadata.Features[0], ts.model.Metadata.Features[1]
	if age.Name != "Age" || savings.Name != "Savings" {
		t.Fatalf("fixture features %s, %s, want Age, Savings", age.Name, savings.Name)
	}

	// The first row has an Age above the training range and a null Savings, and the second
	// row has the training minimums, which are in range.
	body := fmt.Sprintf(`{"inputs":[{"Age":%v,"Savings":null},{"Age":%v,"Savings":%v}]}`, age.Max+1, age.Min, savings.Min)
	resp := ts.predict(t, body)
	if resp.status != http.StatusOK {
		t.Fatalf("predict: status %d, want 200: %s", resp.status, resp.body)
	}
	assertSchema(t, schemas.PredictResponse, resp.body)
	ts.predict(t, fmt.Sprintf(`{"inputs":[{"Age":%v,"Savings":%v}]}`, age.Min-1, savings.Max))
	ts.predict(t, `{"inputs":[{"Age":"x","Savings":1}]}`)
	ts.do(t, http.MethodGet, "/v1/unknown/12345", "", "")
	ts.do(t, "BREW", "/v1/predict", "", "")

	samples := ts.scrape(t)
	assertSample(t, samples, `model_server_requests_total{code="200",method="POST",route="/v1/predict"}`, 2)
	assertSample(t, samples, `model_server_requests_total{code="400",method="POST",route="/v1/predict"}`, 1)
	assertSample(t, samples, `model_server_requests_total{code="404",method="GET",route="unmatched"}`, 1)
	assertSample(t, samples, `model_server_requests_total{code="405",method="other",route="unmatched"}`, 1)
	assertSample(t, samples, `model_server_request_duration_seconds_count{route="/v1/predict"}`, 3)
	assertSample(t, samples, "model_server_predicted_rows_total", 3)
	assertSample(t, samples, `model_server_input_out_of_range_total{feature="Age"}`, 2)
	assertSample(t, samples, `model_server_input_out_of_range_total{feature="Savings"}`, 0)
	assertSample(t, samples, `model_server_missing_values_total{feature="Age"}`, 0)
	assertSample(t, samples, `model_server_missing_values_total{feature="Savings"}`, 1)
	for series := range samples {
		if strings.Contains(series, "/v1/unknown") || strings.Contains(series, "BREW") {
			t.Errorf("series %s contains the raw path or method", series)
		}
	}
}

func TestMetrics_OutOfRangeDoesNotChangeResponse(t *testing.T) {
	ts := newLoadedServer(t, nil)
	age := ts.model.Metadata.Features[0]
	row := fmt.Sprintf(`{"inputs":[{"Age":%v,"Savings":1000}]}`, age.Max+10)

	got := ts.predict(t, row)
	if got.status != http.StatusOK {
		t.Fatalf("predict: status %d, want 200: %s", got.status, got.body)
	}
	probabilities, err := ts.model.Pipeline.PredictProba([][]float64{{age.Max + 10, 1000}})
	if err != nil {
		t.Fatal(err)
	}
	var decoded predictResponse
	if err := json.Unmarshal(got.body, &decoded); err != nil {
		t.Fatal(err)
	}
	if len(decoded.Probabilities) != 1 || decoded.Probabilities[0] != probabilities[0] {
		t.Errorf("probabilities %v, want [%v] as the pipeline scores the row", decoded.Probabilities, probabilities[0])
	}
}

func TestAccessLog_ProbesAndScrapesAtDebug(t *testing.T) {
	ts := newLoadedServer(t, nil)
	for _, path := range []string{"/healthz", "/readyz", "/metrics"} {
		ts.do(t, http.MethodGet, path, "", "")
	}
	ts.predict(t, `{"inputs":[{"Age":40,"Savings":1000}]}`)

	levels := make(map[string]any)
	for _, line := range ts.logLines(t) {
		if line["msg"] == "request" {
			levels[line["path"].(string)] = line["level"]
		}
	}
	for _, path := range []string{"/healthz", "/readyz", "/metrics"} {
		if levels[path] != "DEBUG" {
			t.Errorf("access log of GET %s at level %v, want DEBUG", path, levels[path])
		}
	}
	if levels["/v1/predict"] != "INFO" {
		t.Errorf("access log of POST /v1/predict at level %v, want INFO", levels["/v1/predict"])
	}
}
