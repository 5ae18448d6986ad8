// Command trainer trains the retirement classifier, writes a model directory, and pushes
// model directories to OCI registries as versioned artifacts.
//
//	trainer train --data FILE --output DIR [--config FILE] [--cv K]
//	trainer push [--plain-http] [--force] DIR REF
//	trainer import --xgboost FILE --data FILE --output DIR [--config FILE]
//	trainer synth [--rows N] [--seed S] [--output FILE]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/bankml/retire/artifact"
	"github.com/bankml/retire/trainer"
)

const usage = `Usage:
  trainer train --data FILE --output DIR [--config FILE] [--cv K]
      Train and evaluate on a CSV, print the scores, and write the weights,
      metadata.json and MODEL_CARD.md into DIR. Exits 3 when test accuracy is
      below the quality gate (gate.min_accuracy), and then writes nothing.
  trainer push [--plain-http] [--force] DIR REF
      Pack DIR as an OCI artifact and push it. REF is host[:port]/repository:VERSION
      or oci:PATH:VERSION (an OCI image layout directory), VERSION a semantic
      version. Prints the manifest digest.
  trainer import --xgboost FILE --data FILE --output DIR [--config FILE]
      Wrap an XGBoost JSON model saved by Python's Booster.save_model as a model
      directory: score it on the test split of the CSV, gate it, and write it
      with the weights file unchanged.
  trainer synth [--rows N] [--seed S] [--output FILE]
      Write a seeded synthetic sample with the real dataset's columns.

Environment: TRAINER_<KEY> overrides a config key (see trainer/default.yaml),
REGISTRY_USERNAME and REGISTRY_PASSWORD log in to the registry (else the Docker
config file), SOURCE_DATE_EPOCH fixes the artifact's creation time,
LOG_FORMAT=text switches logs from JSON to text.
`

// exitBelowGate is the exit status of a model that trained but failed the quality gate.
const exitBelowGate = 3

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	logger := newLogger(stderr)
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stdout, usage)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	var err error
	switch args[0] {
	case "train":
		// Train and import keep the default signal handling, so Ctrl-C or SIGTERM stops
		// them at once. That is safe because WriteModelDir swaps in a whole directory.
		err = runTrain(args[1:], stdout, stderr, logger)
	case "import":
		err = runImport(args[1:], stdout, stderr, logger)
	case "push":
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		err = runPush(ctx, args[1:], stdout, stderr, logger)
	case "synth":
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		err = runSynth(ctx, args[1:], stdout, stderr)
	default:
		fmt.Fprintf(stderr, "trainer: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errUsage):
		return 2
	case errors.Is(err, trainer.ErrBelowGate):
		return exitBelowGate
	default:
		logger.Error("trainer "+args[0]+" failed", "error", err.Error())
		return 1
	}
}

var errUsage = errors.New("usage error")

func newFlagSet(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("trainer "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

// parseFlags parses args, allowing flags after positional arguments too (trainer push DIR
// REF --force), which the flag package alone stops at. Positional arguments are then in
// fs.Args().
func parseFlags(fs *flag.FlagSet, args []string) error {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return err
			}
			return errUsage
		}
		if fs.NArg() == 0 {
			break
		}
		positional = append(positional, fs.Arg(0))
		args = fs.Args()[1:]
	}
	// Parse the positional arguments alone, after "--", so that fs.Args returns them.
	return fs.Parse(append([]string{"--"}, positional...))
}

// inputFlags defines the flags that train and import share. Its result builds the
// trainer.Inputs once the flags are parsed.
func inputFlags(fs *flag.FlagSet, dataUsage string) func() (trainer.Inputs, error) {
	data := fs.String("data", "", dataUsage)
	output := fs.String("output", "", "model `directory` to write (required)")
	config := fs.String("config", "", "YAML config `file` layered over the built-in defaults")
	revision := fs.String("revision", sourceRevision(), "source revision recorded in the metadata")
	return func() (trainer.Inputs, error) {
		if *data == "" || *output == "" || fs.NArg() > 0 {
			fmt.Fprintf(fs.Output(), "%s: --data and --output are required and no other arguments are allowed\n", fs.Name())
			fs.Usage()
			return trainer.Inputs{}, errUsage
		}
		// SOURCE_DATE_EPOCH also stamps the metadata, so that a rebuild gives identical files.
		now, err := artifact.ParseSourceDateEpoch(os.Getenv("SOURCE_DATE_EPOCH"))
		if err != nil {
			return trainer.Inputs{}, err
		}
		return trainer.Inputs{
			DataPath:   *data,
			OutputDir:  *output,
			ConfigPath: *config,
			Environ:    os.Environ(),
			Run:        trainer.RunInfo{Revision: *revision, Repository: os.Getenv("CIRCLE_REPOSITORY_URL"), Now: now},
		}, nil
	}
}

func runTrain(args []string, stdout, stderr io.Writer, logger *slog.Logger) error {
	fs := newFlagSet("train", stderr)
	inputs := inputFlags(fs, "training CSV `file` (required)")
	cv := fs.Int("cv", 0, "also report stratified k-fold cross-validation with `K` folds (0 = off)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	in, err := inputs()
	if err != nil {
		return err
	}
	if *cv == 1 || *cv < 0 {
		fmt.Fprintf(stderr, "trainer train: --cv is %d, want 0 (off) or at least 2\n", *cv)
		return errUsage
	}
	_, err = trainer.RunTrain(trainer.TrainOptions{Inputs: in, CVFolds: *cv}, stdout, logger)
	return err
}

func runImport(args []string, stdout, stderr io.Writer, logger *slog.Logger) error {
	fs := newFlagSet("import", stderr)
	model := fs.String("xgboost", "", "XGBoost JSON model `file` (required)")
	inputs := inputFlags(fs, "CSV `file` to score the model on (required)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *model == "" {
		fmt.Fprintln(stderr, "trainer import: --xgboost is required")
		fs.Usage()
		return errUsage
	}
	in, err := inputs()
	if err != nil {
		return err
	}
	_, err = trainer.RunImport(trainer.ImportOptions{Inputs: in, XGBoostPath: *model}, stdout, logger)
	return err
}

func runPush(ctx context.Context, args []string, stdout, stderr io.Writer, logger *slog.Logger) error {
	fs := newFlagSet("push", stderr)
	plainHTTP := fs.Bool("plain-http", false, "talk HTTP, not HTTPS, to the registry (local registries only)")
	force := fs.Bool("force", false, "overwrite the version tag if it exists")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 2 {
		fmt.Fprintln(stderr, "trainer push: want two arguments, DIR and REF")
		fs.Usage()
		return errUsage
	}
	dir, refText := fs.Arg(0), fs.Arg(1)
	ref, err := artifact.ParseReference(refText)
	if err != nil {
		return err
	}
	// Check the cheap things first: the version, then that the server can load the model.
	if ref.Tag == "" {
		return fmt.Errorf("push %s: a push needs a version tag such as :1.2.0, not a digest", ref)
	}
	if err := artifact.ValidateVersion(ref.Tag); err != nil {
		return fmt.Errorf("push %s: %w", ref, err)
	}
	username, password := os.Getenv("REGISTRY_USERNAME"), os.Getenv("REGISTRY_PASSWORD")
	if (username == "") != (password == "") {
		return errors.New("set both REGISTRY_USERNAME and REGISTRY_PASSWORD, or neither to use the Docker config file")
	}
	if err := trainer.CheckModelDir(dir); err != nil {
		return err
	}
	created, err := artifact.ParseSourceDateEpoch(os.Getenv("SOURCE_DATE_EPOCH"))
	if err != nil {
		return err
	}
	desc, err := artifact.Push(ctx, dir, ref, artifact.PushOptions{
		Remote: artifact.RemoteOptions{
			PlainHTTP: *plainHTTP,
			Username:  username,
			Password:  password,
		},
		Force:   *force,
		Created: created,
	})
	if err != nil {
		return err
	}
	logger.Info("model pushed", "reference", ref.String(), "digest", desc.Digest.String(), "size", desc.Size)
	fmt.Fprintln(stdout, desc.Digest.String())
	return nil
}

func runSynth(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("synth", stderr)
	opts := trainer.DefaultSynthOptions
	fs.IntVar(&opts.Rows, "rows", opts.Rows, fmt.Sprintf("number of customers, at most %d", trainer.MaxSynthRows))
	seed := fs.Int64("seed", opts.Seed, "random seed")
	output := fs.String("output", "", "CSV `file` to write (default: standard output)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	opts.Seed = *seed
	if *output == "" {
		return trainer.WriteSynthetic(ctx, stdout, opts)
	}

	if err := writeSyntheticFile(ctx, *output, opts); err != nil {
		return fmt.Errorf("write --output %s: %w", *output, err)
	}
	return nil
}

// writeSyntheticFile writes to a temporary name and renames it, so an interrupted run
// leaves no partial file.
func writeSyntheticFile(ctx context.Context, path string, opts trainer.SynthOptions) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if err := trainer.WriteSynthetic(ctx, f, opts); err != nil {
		f.Close()
		return err
	}
	if err := f.Chmod(0o644); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}

// sourceRevision returns the commit being built: from CI variables, else from git, else "".
func sourceRevision() string {
	for _, name := range []string{"SOURCE_REVISION", "CIRCLE_SHA1", "GITHUB_SHA"} {
		if v := os.Getenv(name); v != "" {
			return v
		}
	}
	out, err := exec.Command("git", "rev-parse", "HEAD").Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}

func newLogger(w io.Writer) *slog.Logger {
	if os.Getenv("LOG_FORMAT") == "text" {
		return slog.New(slog.NewTextHandler(w, nil))
	}
	return slog.New(slog.NewJSONHandler(w, nil))
}
