package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// runTrainer runs the command in-process with env set for this test only.
func runTrainer(t *testing.T, env map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	for k, v := range env {
		t.Setenv(k, v)
	}
	var out, errOut bytes.Buffer
	code = run(args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func writeSample(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "sample.csv")
	if code, _, stderr := runTrainer(t, nil, "synth", "--rows", "300", "--output", path); code != 0 {
		t.Fatalf("synth exit %d: %s", code, stderr)
	}
	return path
}

func TestRun_UsageErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no command", nil, "Usage:"},
		{"unknown command", []string{"fit"}, `unknown command "fit"`},
		{"train without data", []string{"train", "--output", "x"}, "--data and --output are required"},
		{"train with cv 1", []string{"train", "--data", "a", "--output", "b", "--cv", "1"}, "--cv is 1"},
		{"push with one argument", []string{"push", "dir"}, "want two arguments"},
		{"unknown flag", []string{"train", "--epochs", "3"}, "flag provided but not defined"},
		{"import without model", []string{"import", "--data", "a", "--output", "b"}, "--xgboost is required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runTrainer(t, nil, tt.args...)
			if code != 2 {
				t.Errorf("exit status = %d, want 2", code)
			}
			if !strings.Contains(stdout+stderr, tt.want) {
				t.Errorf("output does not mention %q:\n%s%s", tt.want, stdout, stderr)
			}
		})
	}
}

func TestRun_TrainPushAndRepush(t *testing.T) {
	data := writeSample(t)
	model := filepath.Join(t.TempDir(), "model")
	env := map[string]string{"TRAINER_MODEL_TYPE": "logistic", "SOURCE_DATE_EPOCH": "1700000000"}
	code, stdout, stderr := runTrainer(t, env, "train", "--data", data, "--output", model)
	if code != 0 {
		t.Fatalf("train exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "accuracy") {
		t.Errorf("train printed no scores:\n%s", stdout)
	}

	store := filepath.Join(t.TempDir(), "store")
	code, stdout, stderr = runTrainer(t, env, "push", model, "oci:"+store+":1.0.0")
	if code != 0 {
		t.Fatalf("push exit %d: %s", code, stderr)
	}
	digest := strings.TrimSpace(stdout)
	if !strings.HasPrefix(digest, "sha256:") || len(digest) != len("sha256:")+64 {
		t.Fatalf("push printed %q, want a sha256 digest", stdout)
	}

	// Different content under the same version is rejected; --force replaces it.
	if err := os.WriteFile(filepath.Join(model, "MODEL_CARD.md"), []byte("# changed\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr = runTrainer(t, env, "push", model, "oci:"+store+":1.0.0")
	if code != 1 {
		t.Errorf("push over an existing version: exit %d, want 1", code)
	}
	if !strings.Contains(stderr, "1.0.0") {
		t.Errorf("error does not name the version:\n%s", stderr)
	}
	code, stdout, stderr = runTrainer(t, env, "push", model, "oci:"+store+":1.0.0", "--force")
	if code != 0 {
		t.Fatalf("push --force exit %d: %s", code, stderr)
	}
	if strings.TrimSpace(stdout) == digest {
		t.Error("push --force of changed files printed the old digest")
	}
}

func TestRun_PushRejectsBadVersion(t *testing.T) {
	code, _, stderr := runTrainer(t, nil, "push", t.TempDir(), "oci:"+t.TempDir()+":latest")
	if code != 1 {
		t.Errorf("exit status = %d, want 1", code)
	}
	if !strings.Contains(stderr, "latest") {
		t.Errorf("error does not name the bad version:\n%s", stderr)
	}
}

func TestRun_BadDataNamesLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bad.csv")
	if err := os.WriteFile(path, []byte("Customer ID,Age,401K Savings,Retire\n0,40,1000,1\n1,old,5,0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := runTrainer(t, nil, "train", "--data", path, "--output", filepath.Join(t.TempDir(), "m"))
	if code != 1 {
		t.Errorf("exit status = %d, want 1", code)
	}
	if !strings.Contains(stderr, "bad.csv:3") || !strings.Contains(stderr, `\"Age\"`) {
		t.Errorf("error does not name the file, line and column:\n%s", stderr)
	}
	if !strings.HasPrefix(stderr, "{") {
		t.Errorf("error is not a JSON log line:\n%s", stderr)
	}
}

func TestRun_GateFailureExitsThree(t *testing.T) {
	data := writeSample(t)
	model := filepath.Join(t.TempDir(), "model")
	code, stdout, stderr := runTrainer(t, map[string]string{"TRAINER_MODEL_TYPE": "logistic", "TRAINER_GATE_MIN_ACCURACY": "1"},
		"train", "--data", data, "--output", model)
	if code != exitBelowGate {
		t.Errorf("exit status = %d, want %d\n%s", code, exitBelowGate, stderr)
	}
	if !strings.Contains(stdout, "FAIL") {
		t.Errorf("report does not show the failed gate:\n%s", stdout)
	}
	if _, err := os.Stat(model); !os.IsNotExist(err) {
		t.Errorf("model directory written despite the failed gate (stat: %v)", err)
	}
}

func TestRun_SynthRejectsHugeRowCount(t *testing.T) {
	output := filepath.Join(t.TempDir(), "sample.csv")
	code, _, stderr := runTrainer(t, nil, "synth", "--rows", "20000000", "--output", output)
	if code != 1 {
		t.Errorf("exit status = %d, want 1", code)
	}
	if !strings.Contains(stderr, "10000000") {
		t.Errorf("error does not give the limit:\n%s", stderr)
	}
	entries, err := os.ReadDir(filepath.Dir(output))
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 0 {
		t.Errorf("synth left %d files behind, want none", len(entries))
	}
}

func TestRun_PushRejectsUnloadableModel(t *testing.T) {
	data := writeSample(t)
	model := filepath.Join(t.TempDir(), "model")
	env := map[string]string{"TRAINER_MODEL_TYPE": "logistic"}
	if code, _, stderr := runTrainer(t, env, "train", "--data", data, "--output", model); code != 0 {
		t.Fatalf("train exit %d: %s", code, stderr)
	}
	if err := os.WriteFile(filepath.Join(model, "model.json"), []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	store := filepath.Join(t.TempDir(), "store")
	code, _, stderr := runTrainer(t, env, "push", model, "oci:"+store+":1.0.0")
	if code != 1 {
		t.Errorf("exit status = %d, want 1", code)
	}
	if !strings.Contains(stderr, "does not load") {
		t.Errorf("error does not say the model does not load:\n%s", stderr)
	}
	if _, err := os.Stat(store); !os.IsNotExist(err) {
		t.Errorf("push wrote to the store despite the broken model (stat: %v)", err)
	}
}

func TestRun_PushNeedsBothCredentials(t *testing.T) {
	code, _, stderr := runTrainer(t, map[string]string{"REGISTRY_USERNAME": "robot", "REGISTRY_PASSWORD": ""},
		"push", t.TempDir(), "127.0.0.1:1/bank/retirement:1.0.0")
	if code != 1 {
		t.Errorf("exit status = %d, want 1", code)
	}
	if !strings.Contains(stderr, "REGISTRY_PASSWORD") {
		t.Errorf("error does not name the missing variable:\n%s", stderr)
	}
}

func TestRun_PushNeedsTag(t *testing.T) {
	digest := "sha256:" + strings.Repeat("a", 64)
	code, _, stderr := runTrainer(t, nil, "push", t.TempDir(), "oci:"+t.TempDir()+"@"+digest)
	if code != 1 {
		t.Errorf("exit status = %d, want 1", code)
	}
	if !strings.Contains(stderr, "needs a version tag") {
		t.Errorf("error does not ask for a tag:\n%s", stderr)
	}
}
