// Command model-server serves predictions of one pinned model release over HTTP.
//
// Settings come from environment variables, optionally on top of a YAML file given by
// --config or MODEL_SERVER_CONFIG. The server.Config type documents each setting. Run
// `model-server --help` for the list.
//
// The process logs JSON lines to stderr. It exits 0 after SIGTERM or SIGINT once in-flight
// requests have finished, and 1 with a single error line when it cannot start.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/bankml/retire/server"
)

func main() {
	os.Exit(run(os.Args[1:]))
}

// run returns the exit code: 0 after a requested stop, 1 on failure and 2 for bad flags.
func run(args []string) int {
	flags := flag.NewFlagSet("model-server", flag.ContinueOnError)
	configPath := flags.String("config", "", "path of a YAML config file (default $"+server.ConfigFileEnv+"); environment variables override its settings")
	flags.Usage = func() { printUsage(flags) }
	if err := flags.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if flags.NArg() > 0 {
		fmt.Fprintf(flags.Output(), "model-server takes no arguments, got %q\n", flags.Args())
		return 2
	}
	if *configPath == "" {
		*configPath = os.Getenv(server.ConfigFileEnv)
	}

	cfg, err := server.LoadConfig(*configPath, os.Environ())
	if err != nil {
		slog.New(slog.NewJSONHandler(os.Stderr, nil)).Error("model-server failed", "error", err)
		return 1
	}
	logger := server.NewLogger(os.Stderr, cfg)

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	if err := server.Run(ctx, cfg, logger); err != nil {
		logger.Error("model-server failed", "error", err)
		return 1
	}
	return 0
}

func printUsage(flags *flag.FlagSet) {
	out := flags.Output()
	fmt.Fprint(out, `Usage: model-server [--config FILE]

Serves predictions of the model release MODEL_REPOSITORY at MODEL_VERSION.

Environment variables (lower-case names are the keys of the YAML config file):
  MODEL_REPOSITORY        registry repository host[:port]/path, or oci:PATH (required)
  MODEL_VERSION           version tag such as 1.2.3, or manifest digest sha256:... (required)
  HOST                    address to listen on (default: every interface)
  PORT                    TCP port to listen on (default 8080)
  REGISTRY_PLAIN_HTTP     true to talk HTTP without TLS to the registry
  REGISTRY_USERNAME       registry user name (default: from the Docker config)
  REGISTRY_PASSWORD       registry password, never logged
  REGISTRY_DOCKER_CONFIG  Docker config.json with credentials, which must exist
                          (default $DOCKER_CONFIG/config.json or ~/.docker/config.json)
  MODEL_CACHE_DIR         directory of pulled releases (default: a temporary directory)
  MODEL_PULL_TIMEOUT      time allowed to pull and load the model (default 5m)
  LOG_LEVEL               debug, info, warn or error (default info)
  LOG_FORMAT              json or text (default json)
  SHUTDOWN_TIMEOUT        time for in-flight requests after SIGTERM (default 10s)
  MAX_ROWS                maximum rows per predict request (default 10000)
  MAX_BODY_BYTES          maximum request body size in bytes (default 1048576)

A variable that is set but empty is an error: unset it to get the default. Numbers are
whole numbers in base 10, so PORT=010 is port 10.

Routes: GET or HEAD /healthz, /readyz, /v1/model and /metrics, and POST /v1/predict with
an uncompressed application/json body. Errors are JSON, except the 431 that net/http sends
as plain text for request headers over 68 KiB. /metrics serves Prometheus metrics, also
before the model is loaded, and like /healthz and /readyz is logged at debug level.

Flags:
`)
	flags.PrintDefaults()
}
