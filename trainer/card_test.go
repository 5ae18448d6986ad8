package trainer

import (
	"strings"
	"testing"

	"github.com/bankml/retire/artifact"
)

func TestModelCard_MissingValueSentence(t *testing.T) {
	tests := []struct {
		name            string
		hyperparameters map[string]any
		want, notWant   string
	}{
		{"median imputation", map[string]any{"imputation": "median"}, "filled by median imputation", "default branch"},
		{"trees without imputation", map[string]any{"imputation": "none"}, "default branch", "filled by"},
		{"imported model", map[string]any{"imported_from": "model.json"}, "default branch", "Training data"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			meta := artifact.Metadata{Name: "m", Model: artifact.ModelInfo{Hyperparameters: tt.hyperparameters}}
			card, err := ModelCard(meta)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(card), tt.want) {
				t.Errorf("card lacks %q:\n%s", tt.want, card)
			}
			if strings.Contains(string(card), tt.notWant) {
				t.Errorf("card contains %q:\n%s", tt.notWant, card)
			}
		})
	}
}
