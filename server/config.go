package server

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-playground/validator/v10"
	"github.com/go-viper/mapstructure/v2"
	"github.com/knadh/koanf/parsers/yaml"
	"github.com/knadh/koanf/providers/env/v2"
	"github.com/knadh/koanf/providers/file"
	"github.com/knadh/koanf/v2"

	"github.com/bankml/retire/artifact"
	"github.com/bankml/retire/internal/configdecode"
)

// ConfigFileEnv is the environment variable with the path of the optional YAML config file.
// The model-server flag --config takes precedence over it.
const ConfigFileEnv = "MODEL_SERVER_CONFIG"

// Defaults of the Config fields whose zero value means "default".
const (
	DefaultPort            = 8080
	DefaultLogLevel        = "info"
	DefaultLogFormat       = "json"
	DefaultShutdownTimeout = 10 * time.Second
	DefaultPullTimeout     = 5 * time.Minute
	DefaultMaxRows         = 10_000
	DefaultMaxBodyBytes    = 1 << 20 // 1 MiB, about 25,000 rows of two features
)

// Config is the model server's configuration. Every setting has one name: the environment
// variable, whose lower-case form is its key in the YAML config file. The zero value of
// each field means the default stated on it, so a Config built in code needs only
// Repository and Version.
type Config struct {
	// Repository is MODEL_REPOSITORY, the model's repository without tag or digest:
	// "host[:port]/path" of a registry, or "oci:PATH" of an OCI image layout directory.
	// Required.
	Repository string `koanf:"model_repository" validate:"required"`
	// Version is MODEL_VERSION, the one release to serve: a version tag such as 1.2.3 or a
	// manifest digest sha256:.... Required, and never "latest", because a moving tag would
	// change the model without a release.
	Version string `koanf:"model_version" validate:"required,ne=latest"`

	// Host is HOST, the address to listen on. Empty means every interface.
	Host string `koanf:"host" validate:"omitempty,hostname_rfc1123|ip"`
	// Port is PORT, the TCP port to listen on. Zero means 8080.
	Port int `koanf:"port" validate:"min=0,max=65535"`

	// PlainHTTP is REGISTRY_PLAIN_HTTP: talk to the registry over HTTP instead of HTTPS.
	PlainHTTP bool `koanf:"registry_plain_http"`
	// Username and Password are REGISTRY_USERNAME and REGISTRY_PASSWORD. When both are
	// empty, credentials come from the Docker config file. The password is never logged.
	Username string `koanf:"registry_username" validate:"required_with=Password"`
	Password string `koanf:"registry_password" validate:"required_with=Username"`
	// DockerConfig is REGISTRY_DOCKER_CONFIG, the Docker config.json to read credentials
	// from, and a path that does not exist fails the start-up. Empty means
	// $DOCKER_CONFIG/config.json or ~/.docker/config.json, or anonymous access when neither
	// DOCKER_CONFIG nor HOME is set.
	DockerConfig string `koanf:"registry_docker_config"`

	// CacheDir is MODEL_CACHE_DIR, where pulled releases are kept, one directory per
	// manifest digest. Empty means a temporary directory that the server removes at exit.
	CacheDir string `koanf:"model_cache_dir"`
	// PullTimeout is MODEL_PULL_TIMEOUT, the time allowed to pull and load the model at
	// start-up, such as "5m". Zero means 5 minutes.
	PullTimeout time.Duration `koanf:"model_pull_timeout" validate:"omitempty,min=1s"`

	// LogLevel is LOG_LEVEL: debug, info, warn or error. Empty means info.
	LogLevel string `koanf:"log_level" validate:"omitempty,oneof=debug info warn error"`
	// LogFormat is LOG_FORMAT: json, or text for people. Empty means json.
	LogFormat string `koanf:"log_format" validate:"omitempty,oneof=json text"`

	// ShutdownTimeout is SHUTDOWN_TIMEOUT, the time that in-flight requests get to finish
	// after SIGTERM or SIGINT, such as "10s". Zero means 10 seconds.
	ShutdownTimeout time.Duration `koanf:"shutdown_timeout" validate:"omitempty,min=1ms"`
	// MaxRows is MAX_ROWS, the maximum number of rows in one predict request. Zero means 10000.
	MaxRows int `koanf:"max_rows" validate:"min=0"`
	// MaxBodyBytes is MAX_BODY_BYTES, the maximum size of a request body in bytes. Zero
	// means 1 MiB.
	MaxBodyBytes int64 `koanf:"max_body_bytes" validate:"min=0"`
}

// settingHints maps each variable to the fix for a missing or invalid value.
var settingHints = map[string]string{
	"MODEL_REPOSITORY":    "set it to the model's repository, such as registry.example.com/models/retire, or to oci:PATH for an OCI image layout directory",
	"MODEL_VERSION":       "set it to the version tag to serve, such as 1.2.3, or to a manifest digest sha256:...",
	"HOST":                "set it to an IP address or host name of this machine, or leave it empty to listen on every interface",
	"PORT":                "set it to a TCP port from 1 to 65535",
	"REGISTRY_PLAIN_HTTP": "set it to true for a registry that speaks HTTP without TLS, or to false",
	"REGISTRY_USERNAME":   "set REGISTRY_USERNAME and REGISTRY_PASSWORD together, or neither to use the Docker config file",
	"REGISTRY_PASSWORD":   "set REGISTRY_USERNAME and REGISTRY_PASSWORD together, or neither to use the Docker config file",
	"MODEL_PULL_TIMEOUT":  "set it to a duration of at least 1s, such as 5m",
	"LOG_LEVEL":           "use debug, info, warn or error",
	"LOG_FORMAT":          "use json, or text for people",
	"SHUTDOWN_TIMEOUT":    "set it to a duration such as 10s",
	"MAX_ROWS":            "set it to a positive number of rows, or 0 for the default of 10000",
	"MAX_BODY_BYTES":      "set it to a positive number of bytes, or 0 for the default of 1 MiB",
}

// LoadConfig reads the YAML file at path, when path is not empty, and then the environment
// variables in environ ("NAME=value" strings, as os.Environ returns them), which override the
// file. It returns the configuration with defaults filled in, or an error wrapping
// ErrInvalidConfig that names each bad setting and how to fix it.
func LoadConfig(path string, environ []string) (Config, error) {
	k := koanf.New(".")
	if path != "" {
		if err := loadConfigFile(k, path); err != nil {
			return Config{}, err
		}
	}

	// An empty variable is an error. Reading it as unset or as zero would start the server
	// with a value that the operator never wrote.
	var empty []string
	envProvider := env.Provider("", env.Opt{
		TransformFunc: func(name, value string) (string, any) {
			if _, ok := settingNames()[name]; !ok {
				return "", nil
			}
			if value == "" {
				empty = append(empty, name)
				return "", nil
			}
			return strings.ToLower(name), value
		},
		EnvironFunc: func() []string { return environ },
	})
	if err := k.Load(envProvider, nil); err != nil {
		return Config{}, fmt.Errorf("read environment: %w: %w", err, ErrInvalidConfig)
	}
	if len(empty) > 0 {
		slices.Sort(empty)
		problems := make([]string, len(empty))
		for i, name := range empty {
			problems[i] = name + " is set but empty, unset it or give it a value"
		}
		return Config{}, fmt.Errorf("%s: %w", strings.Join(problems, "; "), ErrInvalidConfig)
	}

	cfg, err := decodeConfig(k)
	if err != nil {
		return Config{}, err
	}
	// A Port of zero means the default, so an explicit PORT=0 would silently serve on 8080.
	if k.Exists("port") && cfg.Port == 0 {
		return Config{}, fmt.Errorf("PORT 0 is out of range: %s: %w", settingHints["PORT"], ErrInvalidConfig)
	}

	cfg = cfg.withDefaults()
	if err := cfg.Validate(); err != nil {
		return Config{}, err
	}
	return cfg, nil
}

// loadConfigFile reads the YAML file into k and rejects keys that are no setting, which are
// most often typos.
func loadConfigFile(k *koanf.Koanf, path string) error {
	if err := k.Load(file.Provider(path), yaml.Parser()); err != nil {
		return fmt.Errorf("read config file %s: %w: %w", path, err, ErrInvalidConfig)
	}
	if err := rejectNullValues(k, path); err != nil {
		return err
	}
	names := settingNames()
	var unknown []string
	for _, key := range k.Keys() {
		if _, ok := names[strings.ToUpper(key)]; !ok || key != strings.ToLower(key) {
			unknown = append(unknown, key)
		}
	}
	if len(unknown) > 0 {
		known := make([]string, 0, len(names))
		for name := range names {
			known = append(known, strings.ToLower(name))
		}
		slices.Sort(known)
		return fmt.Errorf("config file %s: unknown settings %s, the settings are %s: %w",
			path, strings.Join(unknown, ", "), strings.Join(known, ", "), ErrInvalidConfig)
	}
	return nil
}

// rejectNullValues returns an error naming each key of the config file whose value is null,
// such as "port:" with nothing after it, which would otherwise decode as the zero value.
func rejectNullValues(k *koanf.Koanf, path string) error {
	var null []string
	for key, value := range k.All() {
		if value == nil {
			null = append(null, key)
		}
	}
	if len(null) == 0 {
		return nil
	}
	slices.Sort(null)
	return fmt.Errorf("config file %s: the value of %s is null, give a value or remove the key: %w",
		path, strings.Join(null, ", "), ErrInvalidConfig)
}

// decodeConfig copies the loaded values into a Config. Environment values are strings, so
// numbers, booleans and durations are parsed from strings too. configdecode.StrictHook
// rejects the conversions of mapstructure's weak typing that change a value's meaning, such
// as "010" read as octal 8 or 1.5 truncated to 1.
func decodeConfig(k *koanf.Koanf) (Config, error) {
	var cfg Config
	decoderConfig := &mapstructure.DecoderConfig{
		DecodeHook: mapstructure.ComposeDecodeHookFunc(
			mapstructure.StringToTimeDurationHookFunc(),
			configdecode.StrictHook,
		),
		WeaklyTypedInput: true,
		Result:           &cfg,
		TagName:          "koanf",
	}
	if err := k.UnmarshalWithConf("", &cfg, koanf.UnmarshalConf{DecoderConfig: decoderConfig}); err != nil {
		return Config{}, describeDecodeError(k, err)
	}
	return cfg, nil
}

// describeDecodeError rewrites a mapstructure error, which names the lower-case key, into one
// that names the environment variable, its value and the fix. Passwords are not echoed.
func describeDecodeError(k *koanf.Koanf, err error) error {
	var decodeErr *mapstructure.DecodeError
	if !errors.As(err, &decodeErr) {
		return fmt.Errorf("decode settings: %w: %w", err, ErrInvalidConfig)
	}
	key := decodeErr.Name()
	name := strings.ToUpper(key)

	expected := "a valid value"
	if field, ok := fieldForSetting(name); ok {
		switch field.Type {
		case reflect.TypeFor[time.Duration]():
			expected = "a duration such as 10s or 5m"
		case reflect.TypeFor[bool]():
			expected = "true or false"
		case reflect.TypeFor[int](), reflect.TypeFor[int64]():
			expected = "a whole number in base 10"
		}
	}
	value := fmt.Sprintf("%q", fmt.Sprint(k.Get(key)))
	if name == "REGISTRY_PASSWORD" {
		value = "value"
	}
	return fmt.Errorf("invalid %s: %s is not %s: %s: %w", name, value, expected, settingHints[name], ErrInvalidConfig)
}

// settingNames returns the environment variable names of all settings, taken from the koanf
// tags of Config.
func settingNames() map[string]struct{} {
	names := make(map[string]struct{})
	for field := range reflect.TypeFor[Config]().Fields() {
		names[strings.ToUpper(field.Tag.Get("koanf"))] = struct{}{}
	}
	return names
}

func fieldForSetting(name string) (reflect.StructField, bool) {
	for field := range reflect.TypeFor[Config]().Fields() {
		if strings.ToUpper(field.Tag.Get("koanf")) == name {
			return field, true
		}
	}
	return reflect.StructField{}, false
}

// withDefaults returns a copy of c with each zero field set to its default.
func (c Config) withDefaults() Config {
	if c.Port == 0 {
		c.Port = DefaultPort
	}
	if c.PullTimeout == 0 {
		c.PullTimeout = DefaultPullTimeout
	}
	if c.LogLevel == "" {
		c.LogLevel = DefaultLogLevel
	}
	if c.LogFormat == "" {
		c.LogFormat = DefaultLogFormat
	}
	if c.ShutdownTimeout == 0 {
		c.ShutdownTimeout = DefaultShutdownTimeout
	}
	if c.MaxRows == 0 {
		c.MaxRows = DefaultMaxRows
	}
	if c.MaxBodyBytes == 0 {
		c.MaxBodyBytes = DefaultMaxBodyBytes
	}
	return c
}

// Validate checks every setting and that Repository and Version form a valid reference. The
// error wraps ErrInvalidConfig and names each bad setting by its environment variable.
func (c Config) Validate() error {
	var problems []string
	err := configValidator().Struct(c)
	var fieldErrors validator.ValidationErrors
	switch {
	case errors.As(err, &fieldErrors):
		for _, fieldErr := range fieldErrors {
			problems = append(problems, describeSettingError(fieldErr))
		}
	case err != nil:
		return fmt.Errorf("validate settings: %w: %w", err, ErrInvalidConfig)
	}
	if c.Host != "" && net.ParseIP(c.Host) == nil && hasNumericTopLabel(c.Host) {
		problems = append(problems, fmt.Sprintf("HOST %q is not a valid IP address: %s", c.Host, settingHints["HOST"]))
	}
	if len(problems) == 0 {
		if _, err := c.reference(); err != nil {
			problem := fmt.Sprintf("MODEL_REPOSITORY %q with MODEL_VERSION %q is not a valid reference: %v", c.Repository, c.Version, err)
			if len(c.Repository) >= len("http://") && strings.EqualFold(c.Repository[:len("http://")], "http://") {
				problem += ", and set REGISTRY_PLAIN_HTTP=true for a registry that speaks plain HTTP"
			}
			problems = append(problems, problem)
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("%s: %w", strings.Join(problems, "; "), ErrInvalidConfig)
	}
	return nil
}

// hasNumericTopLabel reports whether the last label of host is all digits, such as in
// 999.1.1.1. Top-level domains are alphabetic, so such a host is a mistyped IP address and
// no host name, and listening on it would only send a DNS query.
func hasNumericTopLabel(host string) bool {
	label := host[strings.LastIndexByte(host, '.')+1:]
	if label == "" {
		return false
	}
	for _, r := range label {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// configValidator returns a validator that names fields by their environment variable.
func configValidator() *validator.Validate {
	v := validator.New(validator.WithRequiredStructEnabled())
	v.RegisterTagNameFunc(func(field reflect.StructField) string {
		return strings.ToUpper(field.Tag.Get("koanf"))
	})
	return v
}

// describeSettingError turns one failed validation rule into a sentence that names the
// variable, its value where that is no secret, and the fix.
func describeSettingError(fieldErr validator.FieldError) string {
	name := fieldErr.Field()
	hint := settingHints[name]
	switch fieldErr.Tag() {
	case "required":
		return fmt.Sprintf("%s is missing: %s", name, hint)
	case "required_with":
		return fmt.Sprintf("%s is missing: %s", name, hint)
	case "ne":
		return fmt.Sprintf("%s %q is not allowed, pin a release instead: %s", name, fieldErr.Value(), hint)
	case "min", "max":
		return fmt.Sprintf("%s %v is out of range: %s", name, fieldErr.Value(), hint)
	default:
		return fmt.Sprintf("%s %q is invalid: %s", name, fmt.Sprint(fieldErr.Value()), hint)
	}
}

// reference returns the reference that Repository and Version name together.
func (c Config) reference() (artifact.Reference, error) {
	return artifact.JoinReference(c.Repository, c.Version)
}

// address returns the "host:port" to listen on.
func (c Config) address() string {
	return net.JoinHostPort(c.Host, strconv.Itoa(c.Port))
}

// remoteOptions returns the registry connection settings for artifact.Pull.
func (c Config) remoteOptions() artifact.RemoteOptions {
	return artifact.RemoteOptions{
		PlainHTTP:        c.PlainHTTP,
		Username:         c.Username,
		Password:         c.Password,
		DockerConfigPath: c.DockerConfig,
	}
}

// LogValue implements slog.LogValuer so that logging a Config shows every setting except the
// password, which appears only as "set" or "unset".
func (c Config) LogValue() slog.Value {
	password := "unset"
	if c.Password != "" {
		password = "set"
	}
	return slog.GroupValue(
		slog.String("model_repository", c.Repository),
		slog.String("model_version", c.Version),
		slog.String("host", c.Host),
		slog.Int("port", c.Port),
		slog.Bool("registry_plain_http", c.PlainHTTP),
		slog.String("registry_username", c.Username),
		slog.String("registry_password", password),
		slog.String("registry_docker_config", c.DockerConfig),
		slog.String("model_cache_dir", c.CacheDir),
		slog.String("model_pull_timeout", c.PullTimeout.String()),
		slog.String("log_level", c.LogLevel),
		slog.String("log_format", c.LogFormat),
		slog.String("shutdown_timeout", c.ShutdownTimeout.String()),
		slog.Int("max_rows", c.MaxRows),
		slog.Int64("max_body_bytes", c.MaxBodyBytes),
	)
}

// String formats the settings as LogValue does, so that printing a Config with %v does not
// show the password either.
func (c Config) String() string {
	var b strings.Builder
	for i, attr := range c.LogValue().Group() {
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%s=%s", attr.Key, attr.Value)
	}
	return b.String()
}

// NewLogger returns a logger that writes to w in cfg's LogFormat at cfg's LogLevel, the
// defaults for empty fields.
func NewLogger(w io.Writer, cfg Config) *slog.Logger {
	cfg = cfg.withDefaults()
	var level slog.Level
	if err := level.UnmarshalText([]byte(cfg.LogLevel)); err != nil {
		level = slog.LevelInfo
	}
	options := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "text" {
		return slog.New(slog.NewTextHandler(w, options))
	}
	return slog.New(slog.NewJSONHandler(w, options))
}
