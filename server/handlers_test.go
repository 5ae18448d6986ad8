package server

import (
	"bytes"
	"compress/gzip"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/bankml/retire/classifier/metrics"
	"github.com/bankml/retire/internal/realdata"
	"github.com/bankml/retire/schemas"
)

func TestReadyz_BeforeAndAfterLoad(t *testing.T) {
	ts := newTestServer(t, nil)

	resp := ts.do(t, http.MethodGet, "/readyz", "", "")
	if resp.status != http.StatusServiceUnavailable {
		t.Errorf("GET /readyz before load: status %d, want 503", resp.status)
	}
	if got := decodeError(t, resp.body); got.Code != "not_ready" {
		t.Errorf("GET /readyz before load: code %q, want not_ready", got.Code)
	}

	resp = ts.do(t, http.MethodGet, "/healthz", "", "")
	if resp.status != http.StatusOK {
		t.Errorf("GET /healthz before load: status %d, want 200", resp.status)
	}
	assertSchema(t, schemas.Health, resp.body)

	for _, path := range []string{"/v1/predict", "/v1/model"} {
		method := http.MethodGet
		if path == "/v1/predict" {
			method = http.MethodPost
		}
		resp := ts.do(t, method, path, "application/json", `{"inputs":[{"Age":40,"Savings":1000}]}`)
		if resp.status != http.StatusServiceUnavailable {
			t.Errorf("%s %s before load: status %d, want 503", method, path, resp.status)
		}
		if got := decodeError(t, resp.body); got.Code != "not_ready" {
			t.Errorf("%s %s before load: code %q, want not_ready", method, path, got.Code)
		}
	}

	if err := ts.LoadModel(t.Context()); err != nil {
		t.Fatal(err)
	}

	resp = ts.do(t, http.MethodGet, "/readyz", "", "")
	if resp.status != http.StatusOK {
		t.Fatalf("GET /readyz after load: status %d, want 200: %s", resp.status, resp.body)
	}
	assertSchema(t, schemas.Health, resp.body)
	var ready healthResponse
	if err := json.Unmarshal(resp.body, &ready); err != nil {
		t.Fatal(err)
	}
	if ready.Version != fixtureVersion {
		t.Errorf("GET /readyz: version %q, want %q", ready.Version, fixtureVersion)
	}
	if ready.ModelDigest != ts.model.Digest.String() {
		t.Errorf("GET /readyz: model_digest %q, want %q", ready.ModelDigest, ts.model.Digest)
	}
}

func TestPredict_MatchesPipeline(t *testing.T) {
	ts := newLoadedServer(t, nil)
	rows := [][]float64{
		{39.2, 322349.87},
		{61.5, 950000},
		{math.NaN(), 500000},
		{55, math.NaN()},
		{math.NaN(), math.NaN()},
		{-3, 0},
		{1e6, -1e9},
	}

	resp := ts.predict(t, predictBody(t, []string{"Age", "Savings"}, rows))
	if resp.status != http.StatusOK {
		t.Fatalf("status %d, want 200: %s", resp.status, resp.body)
	}
	assertSchema(t, schemas.PredictResponse, resp.body)
	var got predictResponse
	if err := json.Unmarshal(resp.body, &got); err != nil {
		t.Fatal(err)
	}

	want, err := ts.model.Pipeline.PredictProba(rows)
	if err != nil {
		t.Fatal(err)
	}
	assertPredictions(t, got, want)
	if got.Version != fixtureVersion {
		t.Errorf("version %q, want %q", got.Version, fixtureVersion)
	}
	if got.ModelDigest != ts.model.Digest.String() {
		t.Errorf("model_digest %q, want %q", got.ModelDigest, ts.model.Digest)
	}
}

func TestPredict_KeyOrderDoesNotMatter(t *testing.T) {
	ts := newLoadedServer(t, nil)
	first := ts.predict(t, `{"inputs":[{"Age":45,"Savings":400000}]}`)
	second := ts.predict(t, `{"inputs":[{"Savings":400000,"Age":45}]}`)
	if first.status != http.StatusOK || second.status != http.StatusOK {
		t.Fatalf("statuses %d and %d, want 200: %s %s", first.status, second.status, first.body, second.body)
	}
	if string(first.body) != string(second.body) {
		t.Errorf("responses differ by key order: %s and %s", first.body, second.body)
	}
}

func TestPredict_JSONContentTypes(t *testing.T) {
	ts := newLoadedServer(t, nil)
	contentTypes := []string{
		"application/json",
		"application/json; charset=utf-8",
		"application/json; charset=UTF-8",
		"APPLICATION/JSON",
		"Application/Json;charset=utf-8",
	}
	for _, contentType := range contentTypes {
		resp := ts.do(t, http.MethodPost, "/v1/predict", contentType, `{"inputs":[{"Age":45,"Savings":400000}]}`)
		if resp.status != http.StatusOK {
			t.Errorf("Content-Type %q: status %d, want 200: %s", contentType, resp.status, resp.body)
		}
	}
}

func TestGetRoutes_Head(t *testing.T) {
	ts := newTestServer(t, nil)
	assertHead(t, ts, "/healthz", http.StatusOK)
	assertHead(t, ts, "/readyz", http.StatusServiceUnavailable)
	assertHead(t, ts, "/v1/model", http.StatusServiceUnavailable)

	if err := ts.LoadModel(t.Context()); err != nil {
		t.Fatal(err)
	}
	assertHead(t, ts, "/healthz", http.StatusOK)
	assertHead(t, ts, "/readyz", http.StatusOK)
	assertHead(t, ts, "/v1/model", http.StatusOK)
}

func TestPredict_ContentEncoding(t *testing.T) {
	ts := newLoadedServer(t, nil)
	body := `{"inputs":[{"Age":45,"Savings":400000}]}`

	var compressed bytes.Buffer
	writer := gzip.NewWriter(&compressed)
	if _, err := writer.Write([]byte(body)); err != nil {
		t.Fatal(err)
	}
	if err := writer.Close(); err != nil {
		t.Fatal(err)
	}
	for _, encoding := range []string{"gzip", "br", "identity, gzip"} {
		resp := ts.do(t, http.MethodPost, "/v1/predict", "application/json", compressed.String(), "Content-Encoding", encoding)
		if resp.status != http.StatusUnsupportedMediaType {
			t.Errorf("Content-Encoding %q: status %d, want 415: %s", encoding, resp.status, resp.body)
		}
		got := decodeError(t, resp.body)
		if got.Code != "unsupported_media_type" {
			t.Errorf("Content-Encoding %q: code %q, want unsupported_media_type", encoding, got.Code)
		}
		if want := fmt.Sprintf("Content-Encoding %q is not supported", encoding); !strings.Contains(got.Message, want) {
			t.Errorf("message %q does not contain %q", got.Message, want)
		}
		if accept := resp.header.Get("Accept-Encoding"); accept != "identity" {
			t.Errorf("Content-Encoding %q: Accept-Encoding %q, want identity", encoding, accept)
		}
	}

	for _, encoding := range []string{"identity", "IDENTITY"} {
		resp := ts.do(t, http.MethodPost, "/v1/predict", "application/json", body, "Content-Encoding", encoding)
		if resp.status != http.StatusOK {
			t.Errorf("Content-Encoding %q: status %d, want 200: %s", encoding, resp.status, resp.body)
		}
	}
}

// assertHead checks that HEAD path has the status and headers of GET path and no body.
func assertHead(t *testing.T, ts *testServer, path string, wantStatus int) {
	t.Helper()
	head := ts.do(t, http.MethodHead, path, "", "")
	get := ts.do(t, http.MethodGet, path, "", "")
	if head.status != wantStatus || get.status != wantStatus {
		t.Errorf("%s: HEAD status %d, GET status %d, want %d for both", path, head.status, get.status, wantStatus)
	}
	if len(head.body) != 0 {
		t.Errorf("HEAD %s: body %q, want none", path, head.body)
	}
	if got, want := head.header.Get("Content-Type"), get.header.Get("Content-Type"); got != want {
		t.Errorf("HEAD %s: Content-Type %q, want %q as for GET", path, got, want)
	}
	if head.header.Get(RequestIDHeader) == "" {
		t.Errorf("HEAD %s: no %s header", path, RequestIDHeader)
	}
}

func TestPredict_RepeatedKeys(t *testing.T) {
	ts := newLoadedServer(t, nil)
	tests := []struct {
		name        string
		body        string
		wantDetails []fieldError
	}{
		{
			name:        "repeated feature",
			body:        `{"inputs":[{"Age":40,"Age":50,"Savings":1000}]}`,
			wantDetails: []fieldError{{"inputs[0].Age", "repeated key, send each key once"}},
		},
		{
			name:        "repeated feature in a later row",
			body:        `{"inputs":[{"Age":40,"Savings":1000},{"Savings":1,"Age":40,"Savings":2}]}`,
			wantDetails: []fieldError{{"inputs[1].Savings", "repeated key, send each key once"}},
		},
		{
			name:        "escaped spelling of the same key",
			body:        `{"inputs":[{"Age":40,"A\u0067e":50,"Savings":1000}]}`,
			wantDetails: []fieldError{{"inputs[0].Age", "repeated key, send each key once"}},
		},
		{
			name: "key repeated three times and another twice",
			body: `{"inputs":[{"Age":1,"Savings":2,"Age":3,"Savings":4,"Age":5}]}`,
			wantDetails: []fieldError{
				{"inputs[0].Age", "repeated key, send each key once"},
				{"inputs[0].Savings", "repeated key, send each key once"},
			},
		},
		{
			name:        "repeated inputs",
			body:        `{"inputs":[{"Age":40,"Savings":1000}],"inputs":[{"Age":50,"Savings":2000}]}`,
			wantDetails: []fieldError{{"inputs", "repeated key, send each key once"}},
		},
		{
			name: "repeated unknown field",
			body: `{"inputs":[{"Age":40,"Savings":1000}],"model":"a","model":"b"}`,
			wantDetails: []fieldError{
				{"model", "repeated key, send each key once"},
				{"model", `unknown field, a predict request has only "inputs"`},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := ts.predict(t, tt.body)
			if resp.status != http.StatusBadRequest {
				t.Errorf("status %d, want 400: %s", resp.status, resp.body)
			}
			got := decodeError(t, resp.body)
			if got.Code != "invalid_request" {
				t.Errorf("code %q, want invalid_request", got.Code)
			}
			if fmt.Sprint(got.Details) != fmt.Sprint(tt.wantDetails) {
				t.Errorf("details %+v, want %+v", got.Details, tt.wantDetails)
			}
			if want := tt.wantDetails[0].Field + ": repeated key"; !strings.HasPrefix(got.Message, want) {
				t.Errorf("message %q does not start with %q", got.Message, want)
			}
		})
	}
}

func TestPredict_KeysInStringsAreNotMembers(t *testing.T) {
	ts := newLoadedServer(t, nil)
	// Colons, braces and escaped quotes inside strings must not count as members.
	resp := ts.predict(t, `{"inputs":[{"Age":40,"Savings":1000,"x\":{\"Age\":1}":2}]}`)
	got := decodeError(t, resp.body)
	want := []fieldError{{`inputs[0].x":{"Age":1}`, "unknown feature, the features are Age, Savings"}}
	if fmt.Sprint(got.Details) != fmt.Sprint(want) {
		t.Errorf("details %+v, want %+v", got.Details, want)
	}
}

func TestPredict_HugeInputIsAbbreviated(t *testing.T) {
	ts := newLoadedServer(t, nil)
	huge := strings.Repeat("9", 900_000)
	tests := []struct {
		name        string
		contentType string
		body        string
		wantText    string
	}{
		{"huge key", "application/json", `{"inputs":[{"Age":1,"Savings":2,"` + huge + `":3}]}`, "inputs[0]." + huge[:maxEchoBytes] + "… (900000 bytes): unknown feature"},
		{"huge number", "application/json", `{"inputs":[{"Age":1,"Savings":` + huge + `}]}`, "inputs[0].Savings: must be a finite number, " + huge[:maxEchoBytes] + "… (900000 bytes) is out of range"},
		{"huge field", "application/json", `{"inputs":[{"Age":1,"Savings":2}],"` + huge + `":1}`, huge[:maxEchoBytes] + "… (900000 bytes): unknown field"},
		{"huge repeated key", "application/json", `{"inputs":[{"Age":1,"Savings":2,"` + huge[:400_000] + `":3,"` + huge[:400_000] + `":4}]}`, "inputs[0]." + huge[:maxEchoBytes] + "… (400000 bytes): repeated key"},
		{"huge content type", "text/" + huge[:30_000], `{}`, `Content-Type "text/` + huge[:maxEchoBytes-5] + `… (30005 bytes)" is not supported`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(ts.logs.String())
			resp := ts.do(t, http.MethodPost, "/v1/predict", tt.contentType, tt.body)
			if resp.status < 400 || resp.status >= 500 {
				t.Errorf("status %d, want a 4xx", resp.status)
			}
			if len(resp.body) > 2048 {
				t.Errorf("response has %d bytes, want at most 2048", len(resp.body))
			}
			got := decodeError(t, resp.body)
			if !strings.Contains(got.Message, tt.wantText) {
				t.Errorf("message %q does not contain %q", got.Message, tt.wantText)
			}
			if logged := len(ts.logs.String()) - before; logged > 2048 {
				t.Errorf("the request logged %d bytes, want at most 2048", logged)
			}
		})
	}
}

func TestRoutes_HugePathIsAbbreviated(t *testing.T) {
	ts := newLoadedServer(t, nil)
	path := "/" + strings.Repeat("p", 20_000)
	resp := ts.do(t, http.MethodGet, path, "", "")
	if resp.status != http.StatusNotFound {
		t.Errorf("status %d, want 404", resp.status)
	}
	if len(resp.body) > 2048 {
		t.Errorf("response has %d bytes, want at most 2048", len(resp.body))
	}
	if got := decodeError(t, resp.body); !strings.Contains(got.Message, "no route GET "+path[:maxEchoBytes]+"… (20001 bytes)") {
		t.Errorf("message %q does not contain the abbreviated path", got.Message)
	}
	if len(ts.logs.String()) > 4096 {
		t.Errorf("logs have %d bytes after one request, want at most 4096", len(ts.logs.String()))
	}
}

func TestAbbreviate(t *testing.T) {
	tests := []struct {
		value, want string
	}{
		{"", ""},
		{"Age", "Age"},
		{strings.Repeat("a", 64), strings.Repeat("a", 64)},
		{strings.Repeat("a", 65), strings.Repeat("a", 64) + "… (65 bytes)"},
		// "é" is two bytes, and the second would be byte 65, so the prefix stops before it.
		{strings.Repeat("a", 63) + "éé", strings.Repeat("a", 63) + "… (67 bytes)"},
	}
	for _, tt := range tests {
		if got := abbreviate(tt.value); got != tt.want {
			t.Errorf("abbreviate(%q) = %q, want %q", tt.value, got, tt.want)
		}
	}
}

// TestPredict_RealDataset sends every row of the real dataset, with NA as null, and compares
// the probabilities with the pipeline's own.
func TestPredict_RealDataset(t *testing.T) {
	rows := readDataset(t)
	ts := newLoadedServer(t, nil)

	resp := ts.predict(t, predictBody(t, []string{"Age", "Savings"}, rows))
	if resp.status != http.StatusOK {
		t.Fatalf("status %d, want 200: %s", resp.status, resp.body)
	}
	assertSchema(t, schemas.PredictResponse, resp.body)
	var got predictResponse
	if err := json.Unmarshal(resp.body, &got); err != nil {
		t.Fatal(err)
	}
	want, err := ts.model.Pipeline.PredictProba(rows)
	if err != nil {
		t.Fatal(err)
	}
	assertPredictions(t, got, want)
}

func assertPredictions(t *testing.T, got predictResponse, want []float64) {
	t.Helper()
	if len(got.Probabilities) != len(want) || len(got.Predictions) != len(want) {
		t.Fatalf("%d probabilities and %d predictions, want %d of each", len(got.Probabilities), len(got.Predictions), len(want))
	}
	for i := range want {
		// encoding/json writes the shortest representation that parses back to the same
		// float64, so the values must be identical.
		if got.Probabilities[i] != want[i] {
			t.Errorf("row %d: probability %v, want %v", i, got.Probabilities[i], want[i])
		}
		if got.Predictions[i] != metrics.Label(want[i]) {
			t.Errorf("row %d: prediction %d, want %d for probability %v", i, got.Predictions[i], metrics.Label(want[i]), want[i])
		}
	}
}

func TestPredict_ClientErrors(t *testing.T) {
	ts := newLoadedServer(t, func(cfg *Config) {
		cfg.MaxRows = 5
		cfg.MaxBodyBytes = 1024
	})
	tests := []struct {
		name        string
		contentType string
		body        string
		wantStatus  int
		wantCode    string
		wantMessage string
	}{
		{"malformed JSON", "application/json", `{"inputs":[`, 400, "malformed_json", "malformed JSON"},
		{"empty body", "application/json", ``, 400, "malformed_json", "request body is empty"},
		{"trailing data", "application/json", `{"inputs":[{"Age":1,"Savings":2}]} {}`, 400, "malformed_json", "malformed JSON"},
		{"NaN literal", "application/json", `{"inputs":[{"Age":NaN,"Savings":2}]}`, 400, "malformed_json", "malformed JSON"},
		{"Infinity literal", "application/json", `{"inputs":[{"Age":Infinity,"Savings":2}]}`, 400, "malformed_json", "malformed JSON"},
		{"body is an array", "application/json", `[{"Age":1,"Savings":2}]`, 400, "invalid_request", "request body must be a JSON object"},
		{"body is null", "application/json", `null`, 400, "invalid_request", "request body must be a JSON object"},
		{"unknown field", "application/json", `{"inputs":[{"Age":1,"Savings":2}],"model":"x"}`, 400, "invalid_request", `model: unknown field`},
		{"inputs absent", "application/json", `{}`, 400, "invalid_request", "inputs: missing"},
		{"inputs null", "application/json", `{"inputs":null}`, 400, "invalid_request", "inputs: missing or null"},
		{"inputs not an array", "application/json", `{"inputs":{"Age":1,"Savings":2}}`, 400, "invalid_request", "inputs: must be an array"},
		{"inputs empty", "application/json", `{"inputs":[]}`, 400, "invalid_request", "inputs: empty"},
		{"row not an object", "application/json", `{"inputs":[{"Age":1,"Savings":2},[1,2]]}`, 400, "invalid_request", "inputs[1]: must be an object"},
		{"row null", "application/json", `{"inputs":[null]}`, 400, "invalid_request", "inputs[0]: must be an object"},
		{"string value", "application/json", `{"inputs":[{"Age":1,"Savings":2},{"Age":"39","Savings":2}]}`, 400, "invalid_request", "inputs[1].Age: must be a number or null"},
		{"boolean value", "application/json", `{"inputs":[{"Age":true,"Savings":2}]}`, 400, "invalid_request", "inputs[0].Age: must be a number or null"},
		{"object value", "application/json", `{"inputs":[{"Age":1,"Savings":{"usd":2}}]}`, 400, "invalid_request", "inputs[0].Savings: must be a number or null"},
		{"NaN string", "application/json", `{"inputs":[{"Age":"NaN","Savings":2}]}`, 400, "invalid_request", "inputs[0].Age: must be a number or null"},
		{"number too large", "application/json", `{"inputs":[{"Age":1,"Savings":1e999}]}`, 400, "invalid_request", "inputs[0].Savings: must be a finite number, 1e999 is out of range"},
		{"number too small", "application/json", `{"inputs":[{"Age":-1e400,"Savings":1}]}`, 400, "invalid_request", "inputs[0].Age: must be a finite number"},
		{"absent key", "application/json", `{"inputs":[{"Age":1,"Savings":2},{"Age":40}]}`, 400, "invalid_request", "inputs[1].Savings: missing, send null for a missing value"},
		{"unknown key", "application/json", `{"inputs":[{"Age":1,"Savings":2,"Income":3}]}`, 400, "invalid_request", "inputs[0].Income: unknown feature, the features are Age, Savings"},
		{"key in wrong case", "application/json", `{"inputs":[{"age":1,"Savings":2}]}`, 400, "invalid_request", "inputs[0].Age: missing"},
		{"too many rows", "application/json", `{"inputs":[{"Age":1,"Savings":2},{"Age":1,"Savings":2},{"Age":1,"Savings":2},{"Age":1,"Savings":2},{"Age":1,"Savings":2},{"Age":1,"Savings":2}]}`, 413, "too_many_rows", "inputs has 6 rows, more than the maximum of 5"},
		{"body too large", "application/json", `{"inputs":[{"Age":1,"Savings":2` + strings.Repeat(" ", 1100) + `}]}`, 413, "body_too_large", "larger than the maximum of 1024 bytes"},
		{"text content type", "text/plain", `{"inputs":[{"Age":1,"Savings":2}]}`, 415, "unsupported_media_type", `Content-Type "text/plain" is not supported`},
		{"form content type", "application/x-www-form-urlencoded", `inputs=1`, 415, "unsupported_media_type", "send application/json"},
		{"no content type", "", `{"inputs":[{"Age":1,"Savings":2}]}`, 415, "unsupported_media_type", "send application/json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := ts.do(t, http.MethodPost, "/v1/predict", tt.contentType, tt.body)
			if resp.status != tt.wantStatus {
				t.Errorf("status %d, want %d: %s", resp.status, tt.wantStatus, resp.body)
			}
			got := decodeError(t, resp.body)
			if got.Code != tt.wantCode {
				t.Errorf("code %q, want %q", got.Code, tt.wantCode)
			}
			if !strings.Contains(got.Message, tt.wantMessage) {
				t.Errorf("message %q does not contain %q", got.Message, tt.wantMessage)
			}
			if got.RequestID == "" || got.RequestID != resp.header.Get(RequestIDHeader) {
				t.Errorf("request_id %q, want the X-Request-ID header %q", got.RequestID, resp.header.Get(RequestIDHeader))
			}
		})
	}
}

func TestPredict_KeyInWrongCaseSuggestsFeature(t *testing.T) {
	ts := newLoadedServer(t, nil)
	resp := ts.predict(t, `{"inputs":[{"age":1,"Savings":2}]}`)
	got := decodeError(t, resp.body)
	want := []fieldError{
		{Field: "inputs[0].Age", Message: "missing, send null for a missing value"},
		{Field: "inputs[0].age", Message: "unknown feature, the features are Age, Savings: did you mean Age?"},
	}
	if fmt.Sprint(got.Details) != fmt.Sprint(want) {
		t.Errorf("details %+v, want %+v", got.Details, want)
	}
}

func TestPredict_ReportsEveryFieldError(t *testing.T) {
	ts := newLoadedServer(t, nil)
	resp := ts.predict(t, `{"inputs":[{"Age":"x","Savings":2},{"Age":1},{"Age":1,"Savings":2},{"Savings":false,"Age":null,"Debt":1}]}`)
	if resp.status != http.StatusBadRequest {
		t.Fatalf("status %d, want 400: %s", resp.status, resp.body)
	}
	got := decodeError(t, resp.body)
	want := []fieldError{
		{Field: "inputs[0].Age", Message: "must be a number or null"},
		{Field: "inputs[1].Savings", Message: "missing, send null for a missing value"},
		{Field: "inputs[3].Debt", Message: "unknown feature, the features are Age, Savings"},
		{Field: "inputs[3].Savings", Message: "must be a number or null"},
	}
	if fmt.Sprint(got.Details) != fmt.Sprint(want) {
		t.Errorf("details\n%+v\nwant\n%+v", got.Details, want)
	}
	if got.Message != "inputs[0].Age: must be a number or null (and 3 more errors)" {
		t.Errorf("message %q, want the first error and a count of the others", got.Message)
	}
}

func TestPredict_CapsDetails(t *testing.T) {
	ts := newLoadedServer(t, nil)
	rows := strings.Repeat(`{"Age":"x","Savings":2},`, 25)
	resp := ts.predict(t, `{"inputs":[`+strings.TrimSuffix(rows, ",")+`]}`)
	got := decodeError(t, resp.body)
	if len(got.Details) != maxDetails {
		t.Errorf("%d details, want %d", len(got.Details), maxDetails)
	}
	if !strings.HasSuffix(got.Message, "(and 24 more errors)") {
		t.Errorf("message %q does not count the 24 other errors", got.Message)
	}
	if got.Details[9].Field != "inputs[9].Age" {
		t.Errorf("last detail is for %s, want inputs[9].Age", got.Details[9].Field)
	}
}

func TestRoutes_NotFoundAndWrongMethod(t *testing.T) {
	ts := newLoadedServer(t, nil)
	tests := []struct {
		method, path string
		wantStatus   int
		wantCode     string
		wantAllow    string
	}{
		{http.MethodGet, "/v1/unknown", 404, "not_found", ""},
		{http.MethodGet, "/", 404, "not_found", ""},
		{http.MethodPost, "/v1/predict/", 404, "not_found", ""},
		{http.MethodGet, "/v1/predict", 405, "method_not_allowed", "POST"},
		{http.MethodDelete, "/v1/model", 405, "method_not_allowed", "GET, HEAD"},
		{http.MethodPost, "/healthz", 405, "method_not_allowed", "GET, HEAD"},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			resp := ts.do(t, tt.method, tt.path, "application/json", `{}`)
			if resp.status != tt.wantStatus {
				t.Errorf("status %d, want %d: %s", resp.status, tt.wantStatus, resp.body)
			}
			got := decodeError(t, resp.body)
			if got.Code != tt.wantCode {
				t.Errorf("code %q, want %q", got.Code, tt.wantCode)
			}
			if !strings.Contains(got.Message, tt.path) {
				t.Errorf("message %q does not name the path %s", got.Message, tt.path)
			}
			if allow := resp.header.Get("Allow"); allow != tt.wantAllow {
				t.Errorf("Allow header %q, want %q", allow, tt.wantAllow)
			}
		})
	}
}

func TestModel_DescribesRelease(t *testing.T) {
	ts := newLoadedServer(t, nil)
	resp := ts.do(t, http.MethodGet, "/v1/model", "", "")
	if resp.status != http.StatusOK {
		t.Fatalf("status %d, want 200: %s", resp.status, resp.body)
	}
	if contentType := resp.header.Get("Content-Type"); contentType != "application/json; charset=utf-8" {
		t.Errorf("Content-Type %q, want application/json; charset=utf-8", contentType)
	}
	assertSchema(t, schemas.Model, resp.body)

	var got modelResponse
	if err := json.Unmarshal(resp.body, &got); err != nil {
		t.Fatal(err)
	}
	metadata := ts.model.Metadata
	if got.Version != fixtureVersion || got.Digest != ts.model.Digest.String() {
		t.Errorf("version, digest = %q, %q, want %q, %q", got.Version, got.Digest, fixtureVersion, ts.model.Digest)
	}
	if want := ts.model.Repository + ":" + fixtureVersion; got.Reference != want {
		t.Errorf("reference %q, want %q", got.Reference, want)
	}
	if got.Name != metadata.Name || got.Target != metadata.Target || !got.CreatedAt.Equal(metadata.CreatedAt) {
		t.Errorf("name, target, created_at = %q, %q, %s, want %q, %q, %s",
			got.Name, got.Target, got.CreatedAt, metadata.Name, metadata.Target, metadata.CreatedAt)
	}
	if fmt.Sprint(got.Features) != fmt.Sprint(metadata.Features) {
		t.Errorf("features %+v, want %+v", got.Features, metadata.Features)
	}
	if fmt.Sprint(got.Metrics) != fmt.Sprint(metadata.Metrics) {
		t.Errorf("metrics %+v, want %+v", got.Metrics, metadata.Metrics)
	}
	if got.Model.Type != "logistic" || got.Model.Format != "logistic-json/v1" {
		t.Errorf("model %+v, want logistic, logistic-json/v1", got.Model)
	}
}

func TestRequestID_EchoedOrGenerated(t *testing.T) {
	ts := newLoadedServer(t, nil)

	resp := ts.do(t, http.MethodGet, "/healthz", "", "", RequestIDHeader, "trace-42")
	if got := resp.header.Get(RequestIDHeader); got != "trace-42" {
		t.Errorf("X-Request-ID %q, want the client's trace-42", got)
	}

	resp = ts.predict(t, `{"inputs":[]}`)
	generated := resp.header.Get(RequestIDHeader)
	if len(generated) < 16 {
		t.Errorf("generated X-Request-ID %q, want a random id of at least 16 characters", generated)
	}
	if got := decodeError(t, resp.body).RequestID; got != generated {
		t.Errorf("request_id %q, want the X-Request-ID header %q", got, generated)
	}
	other := ts.predict(t, `{"inputs":[]}`).header.Get(RequestIDHeader)
	if other == generated {
		t.Errorf("two requests got the same generated id %q", other)
	}

	for _, invalid := range []string{`a"b`, "with space", strings.Repeat("x", 129)} {
		resp := ts.do(t, http.MethodGet, "/healthz", "", "", RequestIDHeader, invalid)
		if got := resp.header.Get(RequestIDHeader); got == invalid || got == "" {
			t.Errorf("X-Request-ID %q for the invalid client id %q, want a generated id", got, invalid)
		}
	}
}

func TestAccessLog_OneLinePerRequest(t *testing.T) {
	ts := newLoadedServer(t, nil)
	ts.do(t, http.MethodPost, "/v1/predict", "application/json", `{"inputs":[{"Age":40,"Savings":1000},{"Age":50,"Savings":null}]}`,
		RequestIDHeader, "log-test-1", "Authorization", "Bearer s3cret-token", "X-Forwarded-For", "203.0.113.9")
	ts.predict(t, `{"inputs":[{"Age":"x","Savings":1}]}`)

	var requests []map[string]any
	for _, line := range ts.logLines(t) {
		if line["msg"] == "request" {
			requests = append(requests, line)
		}
	}
	if len(requests) != 2 {
		t.Fatalf("%d access log lines, want 2:\n%s", len(requests), ts.logs)
	}
	first := requests[0]
	if first["request_id"] != "log-test-1" || first["path"] != "/v1/predict" || first["method"] != "POST" {
		t.Errorf("access log %v, want request_id log-test-1, POST /v1/predict", first)
	}
	if first["status"] != float64(200) || first["rows"] != float64(2) {
		t.Errorf("access log %v, want status 200 and rows 2", first)
	}
	if first["client_ip"] != "127.0.0.1" {
		t.Errorf("access log client_ip %v, want the peer 127.0.0.1, not X-Forwarded-For", first["client_ip"])
	}
	if _, ok := first["duration_ms"]; !ok {
		t.Errorf("access log %v has no duration_ms", first)
	}
	second := requests[1]
	if second["status"] != float64(400) || second["error_code"] != "invalid_request" {
		t.Errorf("access log %v, want status 400 and error_code invalid_request", second)
	}
	if strings.Contains(ts.logs.String(), "s3cret-token") {
		t.Errorf("logs contain the Authorization header:\n%s", ts.logs)
	}
}

func TestRecoverPanic_Returns500(t *testing.T) {
	ts := newLoadedServer(t, nil)
	ts.engine.GET("/panic", func(*gin.Context) { panic("secret internal detail") })

	resp := ts.do(t, http.MethodGet, "/panic", "", "", RequestIDHeader, "panic-1")
	if resp.status != http.StatusInternalServerError {
		t.Errorf("status %d, want 500", resp.status)
	}
	got := decodeError(t, resp.body)
	if got.Code != "internal" || got.RequestID != "panic-1" {
		t.Errorf("error %+v, want code internal and request_id panic-1", got)
	}
	if strings.Contains(string(resp.body), "secret internal detail") {
		t.Errorf("response %s shows the panic value", resp.body)
	}

	var logged map[string]any
	for _, line := range ts.logLines(t) {
		if line["msg"] == "handler panicked" {
			logged = line
		}
	}
	if logged == nil {
		t.Fatalf("no log line for the panic:\n%s", ts.logs)
	}
	if logged["request_id"] != "panic-1" || logged["panic"] != "secret internal detail" || logged["level"] != "ERROR" {
		t.Errorf("panic log %v, want level ERROR, request_id panic-1 and the panic value", logged)
	}

	if resp := ts.do(t, http.MethodGet, "/healthz", "", ""); resp.status != http.StatusOK {
		t.Errorf("GET /healthz after a panic: status %d, want 200", resp.status)
	}
}

func TestAbortWithError_InternalErrorIsHidden(t *testing.T) {
	ts := newLoadedServer(t, nil)
	ts.engine.GET("/fail", func(c *gin.Context) {
		ts.abortWithError(c, errors.New("open /var/secret/path: permission denied"))
	})

	resp := ts.do(t, http.MethodGet, "/fail", "", "", RequestIDHeader, "fail-1")
	if resp.status != http.StatusInternalServerError {
		t.Errorf("status %d, want 500", resp.status)
	}
	got := decodeError(t, resp.body)
	if got.Code != "internal" || strings.Contains(got.Message, "/var/secret") {
		t.Errorf("error %+v, want code internal without the internal error text", got)
	}
	if !strings.Contains(ts.logs.String(), `"request_id":"fail-1"`) || !strings.Contains(ts.logs.String(), "permission denied") {
		t.Errorf("logs do not contain the internal error with its request id:\n%s", ts.logs)
	}
}

func TestHTTPErrors_CodesMatchSchema(t *testing.T) {
	codes := []string{codeInternal}
	for _, entry := range httpErrors {
		codes = append(codes, entry.code)
	}
	for _, code := range codes {
		doc := fmt.Sprintf(`{"error":{"code":%q,"message":"m","request_id":"r"}}`, code)
		if err := schemas.Validate(schemas.Error, []byte(doc)); err != nil {
			t.Errorf("code %s is not in error.schema.json: %v", code, err)
		}
	}
}

// predictBody encodes rows as a predict request, with NaN as null.
func predictBody(t testing.TB, features []string, rows [][]float64) string {
	t.Helper()
	inputs := make([]map[string]any, len(rows))
	for i, row := range rows {
		inputs[i] = make(map[string]any, len(features))
		for j, feature := range features {
			if math.IsNaN(row[j]) {
				inputs[i][feature] = nil
			} else {
				inputs[i][feature] = row[j]
			}
		}
	}
	body, err := json.Marshal(map[string]any{"inputs": inputs})
	if err != nil {
		t.Fatal(err)
	}
	return string(body)
}

// readDataset reads Age and 401K Savings of the real dataset, NA as NaN. It skips the test
// when the dataset is absent.
func readDataset(t *testing.T) [][]float64 {
	t.Helper()
	path := datasetPath(t)

	file, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	records, err := csv.NewReader(file).ReadAll()
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}

	header := records[0]
	if strings.Join(header, ",") != "Customer ID,Age,401K Savings,Retire" {
		t.Fatalf("%s has columns %q, want Customer ID,Age,401K Savings,Retire", path, header)
	}

	rows := make([][]float64, 0, len(records)-1)
	for line, record := range records[1:] {
		row := make([]float64, 2)
		for j, cell := range record[1:3] {
			if cell == "NA" || cell == "" {
				row[j] = math.NaN()
				continue
			}
			if row[j], err = strconv.ParseFloat(cell, 64); err != nil {
				t.Fatalf("%s line %d: %v", path, line+2, err)
			}
		}
		rows = append(rows, row)
	}
	return rows
}

// datasetPath returns the real dataset beside the repository; see realdata.Path.
func datasetPath(t *testing.T) string {
	t.Helper()
	return realdata.Path(t, realdata.Dataset)
}
