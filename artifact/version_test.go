package artifact

import (
	"errors"
	"strings"
	"testing"
)

func TestValidateVersion(t *testing.T) {
	valid := []string{"0.0.0", "1.2.3", "10.20.30", "1.0.0-rc.1", "1.0.0-alpha-beta.0.x7", "2.0.0-0"}
	for _, version := range valid {
		if err := ValidateVersion(version); err != nil {
			t.Errorf("ValidateVersion(%q): %v", version, err)
		}
	}

	invalid := []string{
		"", "1", "1.2", "1.2.3.4", "v1.2.3", "V1.2.3", "01.2.3", "1.02.3", "1.2.03",
		"1.2.3+build.5", "1.2.3-", "1.2.3-rc..1", "1.2.3-01", "1.2.3-rc_1", "latest", "a.b.c",
		"1.2.3-" + strings.Repeat("x", 130),
	}
	for _, version := range invalid {
		if err := ValidateVersion(version); !errors.Is(err, ErrInvalidVersion) {
			t.Errorf("ValidateVersion(%q) error = %v, want ErrInvalidVersion", version, err)
		}
	}
}
