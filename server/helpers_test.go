package server

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/bankml/retire/internal/registrytest"
	"github.com/bankml/retire/schemas"
	"github.com/bankml/retire/server/servertest"
)

// fixtureVersion is the version tag of the fixture model in every test registry.
const fixtureVersion = "0.1.0"

// testServer is a Server behind an httptest server, configured to pull the fixture model
// from an in-memory registry.
type testServer struct {
	*Server
	url   string
	model servertest.Model
	logs  *syncBuffer
}

// newTestServer pushes the fixture model to a new in-memory registry and returns a server
// for it that has not loaded the model yet. configure, if not nil, changes the config first.
func newTestServer(t testing.TB, configure func(*Config)) *testServer {
	t.Helper()
	host := registrytest.NewInMemory(t)
	model := servertest.PushModel(t, host+"/retire", fixtureVersion)

	cfg := Config{
		Repository: model.Repository,
		Version:    model.Version,
		PlainHTTP:  true,
		CacheDir:   t.TempDir(),
		LogLevel:   "debug",
	}
	if configure != nil {
		configure(&cfg)
	}
	logs := &syncBuffer{}
	s, err := New(cfg, NewLogger(logs, cfg))
	if err != nil {
		t.Fatal(err)
	}
	httpServer := httptest.NewServer(s.Handler())
	t.Cleanup(httpServer.Close)
	return &testServer{Server: s, url: httpServer.URL, model: model, logs: logs}
}

// newLoadedServer is newTestServer with the model loaded.
func newLoadedServer(t testing.TB, configure func(*Config)) *testServer {
	t.Helper()
	ts := newTestServer(t, configure)
	if err := ts.LoadModel(t.Context()); err != nil {
		t.Fatalf("LoadModel: %v", err)
	}
	return ts
}

// response is a received HTTP response with its body read.
type response struct {
	status int
	header http.Header
	body   []byte
}

// do sends a request with the given Content-Type (none when empty) and extra headers.
func (ts *testServer) do(t testing.TB, method, path, contentType, body string, headers ...string) response {
	t.Helper()
	request, err := http.NewRequest(method, ts.url+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		request.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		request.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(request)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", method, path, err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: data}
}

// predict posts a predict request body as application/json.
func (ts *testServer) predict(t testing.TB, body string) response {
	t.Helper()
	return ts.do(t, http.MethodPost, "/v1/predict", "application/json", body)
}

// assertSchema fails the test unless body matches the schema file.
func assertSchema(t testing.TB, schemaFile string, body []byte) {
	t.Helper()
	if err := schemas.Validate(schemaFile, body); err != nil {
		t.Errorf("response %s does not match %s: %v", body, schemaFile, err)
	}
}

// decodeError checks that body is a valid error response and returns its error object.
func decodeError(t testing.TB, body []byte) errorBody {
	t.Helper()
	assertSchema(t, schemas.Error, body)
	var decoded errorResponse
	if err := json.Unmarshal(body, &decoded); err != nil {
		t.Fatalf("error response %s: %v", body, err)
	}
	return decoded.Error
}

// logLines parses the JSON log lines written so far.
func (ts *testServer) logLines(t testing.TB) []map[string]any {
	t.Helper()
	var lines []map[string]any
	for line := range strings.Lines(ts.logs.String()) {
		var entry map[string]any
		if err := json.Unmarshal([]byte(line), &entry); err != nil {
			t.Fatalf("log line %q is not JSON: %v", line, err)
		}
		lines = append(lines, entry)
	}
	return lines
}

// syncBuffer is a bytes.Buffer that handlers on several goroutines can log to.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// discardLogger returns a logger for benchmarks.
func discardLogger() *slog.Logger {
	return slog.New(slog.DiscardHandler)
}
