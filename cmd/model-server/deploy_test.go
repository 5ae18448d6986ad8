package main

import (
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/knadh/koanf/parsers/yaml"

	"github.com/bankml/retire/artifact"
)

// TestKubernetesManifest checks the numbers in deploy/kubernetes/model-server.yaml against
// the server: the memory limit must hold the largest weights file, and the grace period must
// cover the preStop sleep and SHUTDOWN_TIMEOUT.
func TestKubernetesManifest(t *testing.T) {
	container, gracePeriod := readDeployment(t)

	env := map[string]string{}
	for _, entry := range container["env"].([]any) {
		variable := entry.(map[string]any)
		env[variable["name"].(string)], _ = variable["value"].(string)
	}
	if repository := env["MODEL_REPOSITORY"]; repository != "registry.example.com/ml/retirement-classifier" {
		t.Errorf("MODEL_REPOSITORY %q, want the repository that CI publishes to", repository)
	}

	resources := container["resources"].(map[string]any)
	limit := parseMemory(t, resources["limits"].(map[string]any)["memory"])
	if limit <= 2*artifact.MaxWeightsSize {
		t.Errorf("memory limit %d bytes does not exceed twice the maximum weights size of %d bytes", limit, artifact.MaxWeightsSize)
	}
	request := parseMemory(t, resources["requests"].(map[string]any)["memory"])
	if request < 29<<20 {
		t.Errorf("memory request %d bytes is below the measured peak RSS of 29 MiB", request)
	}

	lifecycle, _ := container["lifecycle"].(map[string]any)
	preStop, _ := lifecycle["preStop"].(map[string]any)
	sleep, _ := preStop["sleep"].(map[string]any)
	sleepSeconds, ok := sleep["seconds"].(int)
	if !ok || sleepSeconds < 1 {
		t.Fatalf("lifecycle.preStop.sleep.seconds = %v, want at least 1", sleep["seconds"])
	}
	shutdownTimeout, err := time.ParseDuration(env["SHUTDOWN_TIMEOUT"])
	if err != nil {
		t.Fatalf("SHUTDOWN_TIMEOUT: %v", err)
	}
	budget := time.Duration(sleepSeconds)*time.Second + shutdownTimeout
	if time.Duration(gracePeriod)*time.Second <= budget {
		t.Errorf("terminationGracePeriodSeconds %d is not larger than preStop %ds + SHUTDOWN_TIMEOUT %s", gracePeriod, sleepSeconds, shutdownTimeout)
	}
}

// readDeployment returns the model-server container and the termination grace period of the
// Deployment in the manifest.
func readDeployment(t *testing.T) (map[string]any, int) {
	t.Helper()
	data, err := os.ReadFile("../../deploy/kubernetes/model-server.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for document := range strings.SplitSeq(string(data), "\n---\n") {
		object, err := yaml.Parser().Unmarshal([]byte(document))
		if err != nil {
			t.Fatalf("parse manifest: %v", err)
		}
		if object["kind"] != "Deployment" {
			continue
		}
		podSpec := object["spec"].(map[string]any)["template"].(map[string]any)["spec"].(map[string]any)
		gracePeriod, _ := podSpec["terminationGracePeriodSeconds"].(int)
		for _, entry := range podSpec["containers"].([]any) {
			container := entry.(map[string]any)
			if container["name"] == "model-server" {
				return container, gracePeriod
			}
		}
	}
	t.Fatal("the manifest has no Deployment with a model-server container")
	return nil, 0
}

// parseMemory returns the bytes of a Kubernetes memory quantity in Mi or Gi, the only
// suffixes that the manifest uses.
func parseMemory(t *testing.T, value any) int64 {
	t.Helper()
	text, _ := value.(string)
	units := map[string]int64{"Mi": 1 << 20, "Gi": 1 << 30}
	for suffix, unit := range units {
		if number, ok := strings.CutSuffix(text, suffix); ok {
			n, err := strconv.ParseInt(number, 10, 64)
			if err != nil {
				t.Fatalf("memory quantity %q: %v", text, err)
			}
			return n * unit
		}
	}
	t.Fatalf("memory quantity %v has no Mi or Gi suffix", value)
	return 0
}
