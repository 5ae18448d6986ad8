package server

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestLoadConfig_Defaults(t *testing.T) {
	cfg, err := LoadConfig("", []string{"MODEL_REPOSITORY=127.0.0.1:5000/retire", "MODEL_VERSION=0.1.0", "HOME=/root"})
	if err != nil {
		t.Fatal(err)
	}
	want := Config{
		Repository:      "127.0.0.1:5000/retire",
		Version:         "0.1.0",
		Port:            DefaultPort,
		PullTimeout:     DefaultPullTimeout,
		LogLevel:        DefaultLogLevel,
		LogFormat:       DefaultLogFormat,
		ShutdownTimeout: DefaultShutdownTimeout,
		MaxRows:         DefaultMaxRows,
		MaxBodyBytes:    DefaultMaxBodyBytes,
	}
	if cfg != want {
		t.Errorf("LoadConfig =\n%+v\nwant\n%+v", cfg, want)
	}
}

func TestConfig_ZeroValueMeansDefaults(t *testing.T) {
	cfg := Config{}.withDefaults()
	if cfg.Port != 8080 {
		t.Errorf("Port = %d, want 8080", cfg.Port)
	}
	if cfg.ShutdownTimeout != 10*time.Second {
		t.Errorf("ShutdownTimeout = %s, want 10s", cfg.ShutdownTimeout)
	}
	if cfg.MaxRows != 10_000 {
		t.Errorf("MaxRows = %d, want 10000", cfg.MaxRows)
	}
	if cfg.MaxBodyBytes != 1<<20 {
		t.Errorf("MaxBodyBytes = %d, want 1 MiB", cfg.MaxBodyBytes)
	}
	if cfg.LogFormat != "json" || cfg.LogLevel != "info" {
		t.Errorf("LogFormat, LogLevel = %q, %q, want json, info", cfg.LogFormat, cfg.LogLevel)
	}
	if cfg.Host != "" || cfg.CacheDir != "" || cfg.PlainHTTP {
		t.Errorf("Host, CacheDir, PlainHTTP = %q, %q, %t, want empty, empty, false", cfg.Host, cfg.CacheDir, cfg.PlainHTTP)
	}
}

func TestLoadConfig_File(t *testing.T) {
	path := writeConfigFile(t, `
model_repository: oci:/var/lib/models/retire
model_version: sha256:2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae
host: 127.0.0.1
port: 9090
registry_plain_http: true
registry_username: puller
registry_password: s3cret
registry_docker_config: /etc/docker/config.json
model_cache_dir: /var/cache/models
model_pull_timeout: 2m
log_level: debug
log_format: text
shutdown_timeout: 30s
max_rows: 500
max_body_bytes: 65536
`)
	cfg, err := LoadConfig(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := Config{
		Repository:      "oci:/var/lib/models/retire",
		Version:         "sha256:2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae",
		Host:            "127.0.0.1",
		Port:            9090,
		PlainHTTP:       true,
		Username:        "puller",
		Password:        "s3cret",
		DockerConfig:    "/etc/docker/config.json",
		CacheDir:        "/var/cache/models",
		PullTimeout:     2 * time.Minute,
		LogLevel:        "debug",
		LogFormat:       "text",
		ShutdownTimeout: 30 * time.Second,
		MaxRows:         500,
		MaxBodyBytes:    65536,
	}
	if cfg != want {
		t.Errorf("LoadConfig =\n%+v\nwant\n%+v", cfg, want)
	}
}

func TestLoadConfig_EnvironmentOverridesFile(t *testing.T) {
	path := writeConfigFile(t, `
model_repository: 127.0.0.1:5000/retire
model_version: 0.1.0
port: 9090
log_level: debug
shutdown_timeout: 30s
`)
	cfg, err := LoadConfig(path, []string{"MODEL_VERSION=0.2.0", "PORT=9191", "SHUTDOWN_TIMEOUT=1m", "REGISTRY_PLAIN_HTTP=true"})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Version != "0.2.0" {
		t.Errorf("Version = %q, want the environment's 0.2.0", cfg.Version)
	}
	if cfg.Port != 9191 {
		t.Errorf("Port = %d, want the environment's 9191", cfg.Port)
	}
	if cfg.ShutdownTimeout != time.Minute {
		t.Errorf("ShutdownTimeout = %s, want the environment's 1m", cfg.ShutdownTimeout)
	}
	if !cfg.PlainHTTP {
		t.Error("PlainHTTP = false, want the environment's true")
	}
	if cfg.Repository != "127.0.0.1:5000/retire" {
		t.Errorf("Repository = %q, want the file's 127.0.0.1:5000/retire", cfg.Repository)
	}
	if cfg.LogLevel != "debug" {
		t.Errorf("LogLevel = %q, want the file's debug", cfg.LogLevel)
	}
}

func TestLoadConfig_Errors(t *testing.T) {
	base := []string{"MODEL_REPOSITORY=127.0.0.1:5000/retire", "MODEL_VERSION=0.1.0"}
	tests := []struct {
		name     string
		file     string // YAML content, or "" for no file
		environ  []string
		wantText []string
	}{
		{name: "missing version", environ: []string{"MODEL_REPOSITORY=127.0.0.1:5000/retire"}, wantText: []string{"MODEL_VERSION is missing", "1.2.3"}},
		{name: "missing repository", environ: []string{"MODEL_VERSION=0.1.0"}, wantText: []string{"MODEL_REPOSITORY is missing", "oci:PATH"}},
		{name: "missing both", environ: nil, wantText: []string{"MODEL_REPOSITORY is missing", "MODEL_VERSION is missing"}},
		{name: "empty version", environ: []string{"MODEL_REPOSITORY=127.0.0.1:5000/retire", "MODEL_VERSION="}, wantText: []string{"MODEL_VERSION is set but empty, unset it or give it a value"}},
		{name: "empty port", environ: append(base, "PORT="), wantText: []string{"PORT is set but empty, unset it or give it a value"}},
		{name: "empty port and max rows", environ: append(base, "PORT=", "MAX_ROWS="), wantText: []string{"MAX_ROWS is set but empty", "PORT is set but empty"}},
		{name: "hex port", environ: append(base, "PORT=0x1F91"), wantText: []string{`invalid PORT: "0x1F91" is not a whole number in base 10`}},
		{name: "fraction max rows in file", file: "max_rows: 1.5\n", environ: base, wantText: []string{`invalid MAX_ROWS: "1.5" is not a whole number`}},
		{name: "boolean max rows in file", file: "max_rows: true\n", environ: base, wantText: []string{`invalid MAX_ROWS: "true" is not a whole number`}},
		{name: "number for boolean", environ: append(base, "REGISTRY_PLAIN_HTTP=2"), wantText: []string{`invalid REGISTRY_PLAIN_HTTP: "2" is not true or false`}},
		{name: "boolean for text in file", file: "log_format: true\n", environ: base, wantText: []string{`invalid LOG_FORMAT: "true"`}},
		{name: "null in file", file: "port:\nmax_rows: ~\n", environ: base, wantText: []string{"the value of max_rows, port is null, give a value or remove the key"}},
		{name: "latest", environ: []string{"MODEL_REPOSITORY=127.0.0.1:5000/retire", "MODEL_VERSION=latest"}, wantText: []string{`MODEL_VERSION "latest" is not allowed`}},
		{name: "port not a number", environ: append(base, "PORT=http"), wantText: []string{`invalid PORT: "http" is not a whole number in base 10`, "1 to 65535"}},
		{name: "port too large", environ: append(base, "PORT=70000"), wantText: []string{"PORT 70000 is out of range", "1 to 65535"}},
		{name: "port negative", environ: append(base, "PORT=-1"), wantText: []string{"PORT -1 is out of range"}},
		{name: "port zero", environ: append(base, "PORT=0"), wantText: []string{"PORT 0 is out of range"}},
		{name: "port in file", file: "port: eighty\n", environ: base, wantText: []string{`invalid PORT: "eighty" is not a whole number in base 10`}},
		{name: "bad boolean", environ: append(base, "REGISTRY_PLAIN_HTTP=yes please"), wantText: []string{`invalid REGISTRY_PLAIN_HTTP: "yes please" is not true or false`}},
		{name: "bad duration", environ: append(base, "SHUTDOWN_TIMEOUT=soon"), wantText: []string{`invalid SHUTDOWN_TIMEOUT: "soon" is not a duration`}},
		{name: "negative duration", environ: append(base, "SHUTDOWN_TIMEOUT=-5s"), wantText: []string{"SHUTDOWN_TIMEOUT -5s is out of range"}},
		{name: "short pull timeout", environ: append(base, "MODEL_PULL_TIMEOUT=10ms"), wantText: []string{"MODEL_PULL_TIMEOUT 10ms is out of range", "at least 1s"}},
		{name: "negative max rows", environ: append(base, "MAX_ROWS=-3"), wantText: []string{"MAX_ROWS -3 is out of range"}},
		{name: "log level", environ: append(base, "LOG_LEVEL=verbose"), wantText: []string{`LOG_LEVEL "verbose" is invalid`, "debug, info, warn or error"}},
		{name: "log format", environ: append(base, "LOG_FORMAT=xml"), wantText: []string{`LOG_FORMAT "xml" is invalid`}},
		{name: "host", environ: append(base, "HOST=not a host"), wantText: []string{`HOST "not a host" is invalid`}},
		{name: "host out of range", environ: append(base, "HOST=999.1.1.1"), wantText: []string{`HOST "999.1.1.1" is not a valid IP address`}},
		{name: "host of three numbers", environ: append(base, "HOST=10.1.2"), wantText: []string{`HOST "10.1.2" is not a valid IP address`}},
		{name: "username without password", environ: append(base, "REGISTRY_USERNAME=puller"), wantText: []string{"REGISTRY_PASSWORD is missing"}},
		{name: "password without username", environ: append(base, "REGISTRY_PASSWORD=s3cret"), wantText: []string{"REGISTRY_USERNAME is missing"}},
		{name: "repository with tag", environ: []string{"MODEL_REPOSITORY=127.0.0.1:5000/retire:0.1.0", "MODEL_VERSION=0.1.0"}, wantText: []string{"is not a valid reference", "contains a tag"}},
		{name: "repository with scheme", environ: []string{"MODEL_REPOSITORY=http://127.0.0.1:5000/retire", "MODEL_VERSION=0.1.0"}, wantText: []string{"write 127.0.0.1:5000/retire", "set REGISTRY_PLAIN_HTTP=true"}},
		{name: "upper-case repository", environ: []string{"MODEL_REPOSITORY=127.0.0.1:5000/Retire", "MODEL_VERSION=0.1.0"}, wantText: []string{"Repository names are lower case: write 127.0.0.1:5000/retire"}},
		{name: "bad tag", environ: []string{"MODEL_REPOSITORY=127.0.0.1:5000/retire", "MODEL_VERSION=0.1.0/x"}, wantText: []string{"is not a valid reference"}},
		{name: "unknown file setting", file: "model_repository: x/y\nmodel_version: 1.0.0\nprot: 80\n", wantText: []string{"unknown settings prot", "port"}},
		{name: "nested file setting", file: "registry:\n  plain_http: true\n", environ: base, wantText: []string{"unknown settings registry.plain_http"}},
		{name: "malformed file", file: "port: [\n", environ: base, wantText: []string{"read config file"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := ""
			if tt.file != "" {
				path = writeConfigFile(t, tt.file)
			}
			_, err := LoadConfig(path, tt.environ)
			if !errors.Is(err, ErrInvalidConfig) {
				t.Fatalf("LoadConfig error = %v, want ErrInvalidConfig", err)
			}
			for _, text := range tt.wantText {
				if !strings.Contains(err.Error(), text) {
					t.Errorf("error %q does not contain %q", err, text)
				}
			}
		})
	}
}

func TestLoadConfig_LeadingZeroIsDecimal(t *testing.T) {
	environ := []string{"MODEL_REPOSITORY=127.0.0.1:5000/retire", "MODEL_VERSION=0.1.0", "PORT=010", "MAX_ROWS=010", "SHUTDOWN_TIMEOUT=5m"}
	cfg, err := LoadConfig("", environ)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Port != 10 {
		t.Errorf("PORT=010 gives Port %d, want 10", cfg.Port)
	}
	if cfg.MaxRows != 10 {
		t.Errorf("MAX_ROWS=010 gives MaxRows %d, want 10", cfg.MaxRows)
	}
	if cfg.ShutdownTimeout != 5*time.Minute {
		t.Errorf("SHUTDOWN_TIMEOUT=5m gives %s, want 5m0s", cfg.ShutdownTimeout)
	}
}

func TestLoadConfig_MissingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "absent.yaml")
	_, err := LoadConfig(path, []string{"MODEL_REPOSITORY=127.0.0.1:5000/retire", "MODEL_VERSION=0.1.0"})
	if !errors.Is(err, ErrInvalidConfig) {
		t.Fatalf("LoadConfig error = %v, want ErrInvalidConfig", err)
	}
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("LoadConfig error = %v, want os.ErrNotExist", err)
	}
	if !strings.Contains(err.Error(), path) {
		t.Errorf("error %q does not name %s", err, path)
	}
}

func TestLoadConfig_ErrorsHidePassword(t *testing.T) {
	_, err := LoadConfig("", []string{"MODEL_REPOSITORY=127.0.0.1:5000/retire", "MODEL_VERSION=0.1.0", "REGISTRY_USERNAME=u", "REGISTRY_PASSWORD=s3cret", "PORT=x"})
	if err == nil {
		t.Fatal("LoadConfig accepted PORT=x")
	}
	if strings.Contains(err.Error(), "s3cret") {
		t.Errorf("error %q shows the password", err)
	}
}

func TestConfig_LogValueHidesPassword(t *testing.T) {
	cfg := Config{Repository: "127.0.0.1:5000/retire", Version: "0.1.0", Username: "puller", Password: "s3cret"}

	var out bytes.Buffer
	NewLogger(&out, cfg).Info("starting", "config", cfg)
	if strings.Contains(out.String(), "s3cret") {
		t.Errorf("log line %s shows the password", out.String())
	}
	if !strings.Contains(out.String(), `"registry_password":"set"`) {
		t.Errorf("log line %s does not say that the password is set", out.String())
	}
	if !strings.Contains(out.String(), `"registry_username":"puller"`) {
		t.Errorf("log line %s does not show the username", out.String())
	}

	for _, formatted := range []string{fmt.Sprint(cfg), fmt.Sprintf("%+v", cfg), fmt.Sprintf("%v", &cfg)} {
		if strings.Contains(formatted, "s3cret") {
			t.Errorf("formatted Config %q shows the password", formatted)
		}
	}
}

func TestNewLogger_FormatAndLevel(t *testing.T) {
	var out bytes.Buffer
	logger := NewLogger(&out, Config{LogFormat: "text", LogLevel: "warn"})
	logger.Info("hidden")
	logger.Warn("shown")
	if strings.Contains(out.String(), "hidden") {
		t.Errorf("output %q contains an info line at level warn", out.String())
	}
	if !strings.Contains(out.String(), "level=WARN msg=shown") {
		t.Errorf("output %q is not a text line with msg=shown", out.String())
	}
}

func writeConfigFile(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "model-server.yaml")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestLoadConfig_ValidHosts(t *testing.T) {
	for _, host := range []string{"127.0.0.1", "::1", "0.0.0.0", "localhost", "model-server.internal", "node-1.example.com"} {
		_, err := LoadConfig("", []string{"MODEL_REPOSITORY=127.0.0.1:5000/retire", "MODEL_VERSION=0.1.0", "HOST=" + host})
		if err != nil {
			t.Errorf("HOST=%s: %v", host, err)
		}
	}
}
