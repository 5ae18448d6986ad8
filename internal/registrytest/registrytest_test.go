package registrytest

import (
	"errors"
	"net/http"
	"os/exec"
	"strings"
	"syscall"
	"testing"
)

func TestNewInMemory_ServesV2(t *testing.T) {
	host := NewInMemory(t)
	assertV2Status(t, host, http.StatusOK)
}

func TestNewInMemoryWithMiddleware_WrapsHandler(t *testing.T) {
	host := NewInMemoryWithMiddleware(t, func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusTeapot)
		})
	})
	assertV2Status(t, host, http.StatusTeapot)
}

func TestStartDistribution_ServesV2(t *testing.T) {
	host := StartDistribution(t)
	assertV2Status(t, host, http.StatusOK)
}

func TestRunDistribution_RequiresCredentials(t *testing.T) {
	registry := RunDistribution(t, DistributionOptions{Username: "trainer", Password: "s3cret"})
	assertV2Status(t, registry.Host, http.StatusUnauthorized)

	request, err := http.NewRequest(http.MethodGet, "http://"+registry.Host+"/v2/", nil)
	if err != nil {
		t.Fatal(err)
	}
	request.SetBasicAuth("trainer", "s3cret")
	response, err := http.DefaultClient.Do(request)
	if err != nil {
		t.Fatal(err)
	}
	response.Body.Close()
	if response.StatusCode != http.StatusOK {
		t.Errorf("GET /v2/ with credentials: status %d, want 200", response.StatusCode)
	}
}

func TestClosedAddress_RefusesConnections(t *testing.T) {
	_, err := http.Get("http://" + ClosedAddress(t) + "/v2/")
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("GET on a closed address: error %v, want connection refused", err)
	}
}

func TestFindOras_RunsVersion(t *testing.T) {
	output, err := exec.Command(FindOras(t), "version").CombinedOutput()
	if err != nil {
		t.Fatalf("oras version: %v\n%s", err, output)
	}
	if !strings.Contains(string(output), "Version:") {
		t.Errorf("oras version output %q has no Version line", output)
	}
}

func assertV2Status(t *testing.T, host string, want int) {
	t.Helper()
	response, err := http.Get("http://" + host + "/v2/")
	if err != nil {
		t.Fatalf("GET /v2/: %v", err)
	}
	response.Body.Close()
	if response.StatusCode != want {
		t.Errorf("GET http://%s/v2/: status %d, want %d", host, response.StatusCode, want)
	}
}

func TestFindCrane_RunsVersion(t *testing.T) {
	output, err := exec.Command(FindCrane(t), "version").CombinedOutput()
	if err != nil {
		t.Fatalf("crane version: %v\n%s", err, output)
	}
}
