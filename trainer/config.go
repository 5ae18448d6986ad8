package trainer

import (
	_ "embed"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/go-viper/mapstructure/v2"
	"github.com/knadh/koanf/parsers/yaml"
	"github.com/knadh/koanf/providers/env/v2"
	"github.com/knadh/koanf/providers/file"
	"github.com/knadh/koanf/providers/rawbytes"
	"github.com/knadh/koanf/v2"

	"github.com/bankml/retire/classifier"
	"github.com/bankml/retire/classifier/impute"
	"github.com/bankml/retire/internal/configdecode"
)

//go:embed default.yaml
var defaultConfig []byte

// EnvPrefix starts every environment variable that overrides a config key.
const EnvPrefix = "TRAINER_"

// Config is the trainer's configuration. default.yaml holds every key with its default.
type Config struct {
	Name  string      `koanf:"name"`
	Data  DataConfig  `koanf:"data"`
	Split SplitConfig `koanf:"split"`
	Gate  GateConfig  `koanf:"gate"`
	Model ModelConfig `koanf:"model"`
}

// DataConfig maps CSV columns to features and the target.
type DataConfig struct {
	Rename        map[string]string `koanf:"rename"`
	Drop          []string          `koanf:"drop"`
	Features      []string          `koanf:"features"`
	Target        string            `koanf:"target"`
	MissingValues []string          `koanf:"missing_values"`
}

// SplitConfig sets the held-out test split.
type SplitConfig struct {
	TestFraction float64 `koanf:"test_fraction"`
	Seed         int64   `koanf:"seed"`
}

// GateConfig sets the quality gate.
type GateConfig struct {
	MinAccuracy float64 `koanf:"min_accuracy"`
}

// ModelConfig chooses and tunes the model.
type ModelConfig struct {
	// Spec.Type may also be TypeAuto here, which Train replaces by the chosen type.
	classifier.Spec `koanf:",squash"`
	Selection       SelectionConfig `koanf:"selection"`
}

// SelectionConfig tunes how TypeAuto chooses a model type.
type SelectionConfig struct {
	Metric string `koanf:"metric"`
	Folds  int    `koanf:"folds"`
}

// TypeAuto chooses the model type by cross-validation.
const TypeAuto = "auto"

// Selection metrics.
const (
	MetricAccuracy = "accuracy"
	MetricROCAUC   = "roc_auc"
	MetricLogLoss  = "log_loss"
)

// LoadConfig reads the defaults, then the YAML file at path when path is not empty, then
// the TRAINER_ variables of environ (in os.Environ form), each layer winning over the last.
func LoadConfig(path string, environ []string) (Config, error) {
	k := koanf.New(".")
	if err := k.Load(rawbytes.Provider(defaultConfig), yaml.Parser()); err != nil {
		return Config{}, fmt.Errorf("%w: built-in defaults: %w", ErrInvalidConfig, err)
	}
	known := k.Keys()
	if path != "" {
		if err := k.Load(file.Provider(path), yaml.Parser()); err != nil {
			return Config{}, fmt.Errorf("%w: %s: %w", ErrInvalidConfig, path, err)
		}
		for _, key := range k.Keys() {
			if k.Get(key) == nil {
				return Config{}, fmt.Errorf("%w: %s: key %q has no value: set one or remove the key to keep the default", ErrInvalidConfig, path, key)
			}
			if !slices.Contains(known, key) && !strings.HasPrefix(key, "data.rename.") {
				return Config{}, fmt.Errorf("%w: %s: unknown key %q: see the keys in trainer/default.yaml", ErrInvalidConfig, path, key)
			}
		}
	}

	envKeys := map[string]string{}
	for _, key := range known {
		envKeys[EnvPrefix+strings.ToUpper(strings.ReplaceAll(key, ".", "_"))] = key
	}
	var unknown, empty []string
	provider := env.Provider(".", env.Opt{
		Prefix:      EnvPrefix,
		EnvironFunc: func() []string { return environ },
		TransformFunc: func(name, value string) (string, any) {
			key, ok := envKeys[name]
			if !ok {
				unknown = append(unknown, name)
				return "", nil
			}
			if strings.TrimSpace(value) == "" {
				empty = append(empty, name)
				return "", nil
			}
			if _, isList := k.Get(key).([]any); isList {
				return key, splitList(value, key == "data.missing_values")
			}
			return key, value
		},
	})
	if err := k.Load(provider, nil); err != nil {
		return Config{}, fmt.Errorf("%w: environment: %w", ErrInvalidConfig, err)
	}
	if len(unknown) > 0 {
		slices.Sort(unknown)
		return Config{}, fmt.Errorf("%w: unknown environment variable %s: see the keys in trainer/default.yaml", ErrInvalidConfig, strings.Join(unknown, ", "))
	}

	if len(empty) > 0 {
		slices.Sort(empty)
		return Config{}, fmt.Errorf("%w: environment variable %s is empty: set a value or unset it to keep the default", ErrInvalidConfig, strings.Join(empty, ", "))
	}

	var cfg Config
	decoder := &mapstructure.DecoderConfig{DecodeHook: configdecode.StrictHook, WeaklyTypedInput: true}
	if err := k.UnmarshalWithConf("", &cfg, koanf.UnmarshalConf{Tag: "koanf", DecoderConfig: decoder}); err != nil {
		// mapstructure joins one line per bad key; keep the message on one line.
		return Config{}, fmt.Errorf("%w: %s", ErrInvalidConfig, strings.ReplaceAll(err.Error(), "\n", "; "))
	}
	if err := cfg.Validate(); err != nil {
		return Config{}, err
	}
	return cfg, nil
}

// splitList splits a comma-separated variable. Items are trimmed, and empty items are
// dropped unless keepEmpty is set: in data.missing_values an empty item means an empty cell.
func splitList(value string, keepEmpty bool) []string {
	var items []string
	for item := range strings.SplitSeq(value, ",") {
		if item = strings.TrimSpace(item); item != "" || keepEmpty {
			items = append(items, item)
		}
	}
	return items
}

// Validate checks the values that the model code does not check itself.
func (c Config) Validate() error {
	fail := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrInvalidConfig, fmt.Sprintf(format, args...))
	}
	switch {
	case c.Name == "":
		return fail("name is empty: set a model name")
	case len(c.Data.Features) == 0:
		return fail("data.features is empty: list the feature columns")
	case c.Data.Target == "":
		return fail("data.target is empty: name the label column")
	case slices.Contains(c.Data.Features, c.Data.Target):
		return fail("data.target %q is also listed in data.features", c.Data.Target)
	case !(c.Split.TestFraction > 0 && c.Split.TestFraction < 1):
		return fail("split.test_fraction is %v, want a number between 0 and 1 (exclusive)", c.Split.TestFraction)
	case !(c.Gate.MinAccuracy >= 0 && c.Gate.MinAccuracy <= 1):
		return fail("gate.min_accuracy is %v, want a number from 0 to 1", c.Gate.MinAccuracy)
	}
	for i, f := range c.Data.Features {
		if slices.Contains(c.Data.Features[:i], f) {
			return fail("data.features lists %q twice", f)
		}
	}
	switch c.Model.Type {
	case classifier.TypeLogistic, classifier.TypeGBDT, TypeAuto:
	default:
		return fail("model.type is %q, want %q, %q or %q", c.Model.Type, classifier.TypeLogistic, classifier.TypeGBDT, TypeAuto)
	}
	switch c.Model.Imputation {
	case impute.None, impute.Median, impute.Iterative:
	default:
		return fail("model.imputation is %q, want %q, %q or %q", c.Model.Imputation, impute.None, impute.Median, impute.Iterative)
	}
	switch c.Model.Selection.Metric {
	case MetricAccuracy, MetricROCAUC, MetricLogLoss:
	default:
		return fail("model.selection.metric is %q, want %q, %q or %q", c.Model.Selection.Metric, MetricAccuracy, MetricROCAUC, MetricLogLoss)
	}
	if !(c.Model.Logistic.C > 0) || math.IsInf(c.Model.Logistic.C, 0) {
		return fail("model.logistic.c is %v, want a positive number", c.Model.Logistic.C)
	}
	if c.Model.Logistic.MaxIter < 1 {
		return fail("model.logistic.max_iter is %d, want at least 1", c.Model.Logistic.MaxIter)
	}
	if imp := c.Model.Impute; imp.MaxRounds < 1 || !(imp.Tolerance > 0) || !(imp.Ridge > 0) {
		return fail("model.impute has max_rounds %d, tolerance %v and ridge %v: want at least 1 round and positive tolerance and ridge",
			imp.MaxRounds, imp.Tolerance, imp.Ridge)
	}
	if c.Model.Type == TypeAuto && c.Model.Selection.Folds < 2 {
		return fail("model.selection.folds is %d, want at least 2 for model.type auto", c.Model.Selection.Folds)
	}
	if err := c.Model.GBDT.Validate(); err != nil {
		return fail("model.gbdt: %v", err)
	}
	return nil
}
