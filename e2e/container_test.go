package e2e

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	dockercontainer "github.com/moby/moby/api/types/container"
	"github.com/testcontainers/testcontainers-go"
	"github.com/testcontainers/testcontainers-go/wait"

	"github.com/bankml/retire/artifact"
	"github.com/bankml/retire/classifier"
	"github.com/bankml/retire/trainer"
)

// requireDocker skips the test when no Docker engine answers, and fails it instead when
// REQUIRE_INTEGRATION=1.
func requireDocker(tb testing.TB) {
	tb.Helper()
	if err := exec.Command("docker", "version").Run(); err != nil {
		if os.Getenv("REQUIRE_INTEGRATION") == "1" {
			tb.Fatalf("REQUIRE_INTEGRATION=1 but no Docker engine answers: %v", err)
		}
		tb.Skipf("skipping: no Docker engine answers (%v)", err)
	}
}

// imageContext builds the inputs that Dockerfile.server copies into a temporary build
// context, as scripts/build-images does.
func imageContext(tb testing.TB) string {
	tb.Helper()
	dir := tb.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "dist", "empty"), 0o755); err != nil {
		tb.Fatal(err)
	}
	dockerfile, err := os.ReadFile("../Dockerfile.server")
	if err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile.server"), dockerfile, 0o644); err != nil {
		tb.Fatal(err)
	}
	build := exec.Command("go", "build", "-trimpath", "-o", filepath.Join(dir, "dist", "model-server"), "../cmd/model-server")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		tb.Fatalf("build static model-server: %v\n%s", err, out)
	}
	certs, err := os.ReadFile("/etc/ssl/certs/ca-certificates.crt")
	if err != nil {
		tb.Skipf("skipping: no CA bundle to copy into the image: %v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "dist", "ca-certificates.crt"), certs, 0o644); err != nil {
		tb.Fatal(err)
	}
	return dir
}

// TestServerImage_ServesPinnedVersion builds the model-server image from Dockerfile.server
// and runs it with an OCI layout mounted read-only, as a platform engineer would run it with
// a registry: the image holds no model, the environment pins the version.
func TestServerImage_ServesPinnedVersion(t *testing.T) {
	requireDocker(t)
	// Ryuk, the reaper container, would need an image pull; cleanup runs in t.Cleanup.
	t.Setenv("TESTCONTAINERS_RYUK_DISABLED", "true")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()

	var sample bytes.Buffer
	if err := trainer.WriteSynthetic(context.Background(), &sample, trainer.DefaultSynthOptions); err != nil {
		t.Fatal(err)
	}
	cfg, err := trainer.LoadConfig("", []string{"TRAINER_MODEL_TYPE=" + classifier.TypeLogistic})
	if err != nil {
		t.Fatal(err)
	}
	data, err := trainer.ReadCSV(&sample, "synthetic.csv", cfg.Data)
	if err != nil {
		t.Fatal(err)
	}
	result, err := trainer.Train(data, cfg, trainer.RunInfo{})
	if err != nil {
		t.Fatal(err)
	}
	modelDir := filepath.Join(t.TempDir(), "model")
	if err := trainer.WriteModelDir(modelDir, result); err != nil {
		t.Fatal(err)
	}
	store := filepath.Join(t.TempDir(), "store")
	ref, err := artifact.ParseReference("oci:" + store + ":0.3.0")
	if err != nil {
		t.Fatal(err)
	}
	desc, err := artifact.Push(ctx, modelDir, ref, artifact.PushOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// The container user is not root, so the layout must be readable by others.
	if err := exec.Command("chmod", "-R", "a+rX", store).Run(); err != nil {
		t.Fatal(err)
	}

	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := listener.Addr().(*net.TCPAddr).Port
	listener.Close()

	ctr, err := testcontainers.GenericContainer(ctx, testcontainers.GenericContainerRequest{
		ContainerRequest: testcontainers.ContainerRequest{
			FromDockerfile: testcontainers.FromDockerfile{
				Context:    imageContext(t),
				Dockerfile: "Dockerfile.server",
				KeepImage:  false,
			},
			Env: map[string]string{"MODEL_REPOSITORY": "oci:/models", "MODEL_VERSION": "0.3.0", "PORT": strconv.Itoa(port)},
			// Host networking, because the Docker engines of some sandboxes give containers
			// no bridge address; the server then listens on this machine's loopback.
			HostConfigModifier: func(hc *dockercontainer.HostConfig) {
				hc.NetworkMode = "host"
				hc.Binds = append(hc.Binds, store+":/models:ro")
			},
			WaitingFor: wait.ForLog("model loaded, ready").WithStartupTimeout(60 * time.Second),
		},
		Started: true,
	})
	testcontainers.CleanupContainer(t, ctr)
	if err != nil {
		t.Fatalf("start model-server container: %v", err)
	}

	endpoint := fmt.Sprintf("http://127.0.0.1:%d", port)
	resp, err := http.Post(endpoint+"/v1/predict", "application/json", strings.NewReader(`{"inputs":[{"Age":60,"Savings":900000},{"Age":null,"Savings":100000}]}`))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST /v1/predict: status %d: %s", resp.StatusCode, body)
	}
	if !strings.Contains(string(body), desc.Digest.String()) {
		t.Errorf("response %s does not name the pushed digest %s", body, desc.Digest)
	}
	if !strings.Contains(string(body), `"predictions":[1,0]`) {
		t.Errorf("response %s, want predictions [1,0] for an old rich and a young poor customer", body)
	}
}
