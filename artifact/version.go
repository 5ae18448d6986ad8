package artifact

import (
	"fmt"
	"strings"
)

// ValidateVersion checks that version is a semantic version (https://semver.org, 2.0.0) that
// can be an OCI tag: MAJOR.MINOR.PATCH with an optional pre-release such as 1.2.0-rc.1.
//
// A leading "v" is rejected so that each version has one spelling and one tag, because
// otherwise "v1.2.3" and "1.2.3" could name two different manifests. Build metadata
// ("+build.5") is rejected because '+' is not allowed in an OCI tag.
func ValidateVersion(version string) error {
	if strings.HasPrefix(version, "v") || strings.HasPrefix(version, "V") {
		return fmt.Errorf("version %q: drop the leading %q, versions are written as 1.2.3: %w", version, version[:1], ErrInvalidVersion)
	}
	if strings.Contains(version, "+") {
		return fmt.Errorf("version %q: build metadata after '+' cannot be part of an OCI tag, remove it: %w", version, ErrInvalidVersion)
	}

	core, prerelease, hasPrerelease := strings.Cut(version, "-")
	numbers := strings.Split(core, ".")
	if len(numbers) != 3 {
		return fmt.Errorf("version %q is not a semantic version MAJOR.MINOR.PATCH such as 1.2.3: %w", version, ErrInvalidVersion)
	}
	for _, number := range numbers {
		if !isNumericIdentifier(number) {
			return fmt.Errorf("version %q: %q is not a number without leading zeros: %w", version, number, ErrInvalidVersion)
		}
	}

	if hasPrerelease {
		for _, identifier := range strings.Split(prerelease, ".") {
			if err := validatePrereleaseIdentifier(identifier); err != nil {
				return fmt.Errorf("version %q: %w: %w", version, err, ErrInvalidVersion)
			}
		}
	}

	// The tag grammar also caps the length at 128 characters.
	if err := validateTag(version); err != nil {
		return fmt.Errorf("version %q cannot be an OCI tag: %w", version, ErrInvalidVersion)
	}
	return nil
}

// isNumericIdentifier reports whether s is digits only, without a leading zero unless s is "0".
func isNumericIdentifier(s string) bool {
	if s == "" || (len(s) > 1 && s[0] == '0') {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// validatePrereleaseIdentifier checks one dot-separated pre-release identifier: ASCII letters,
// digits and '-', not empty, and no leading zero when it is all digits.
func validatePrereleaseIdentifier(identifier string) error {
	if identifier == "" {
		return fmt.Errorf("empty pre-release identifier")
	}

	allDigits := true
	for _, c := range identifier {
		switch {
		case c >= '0' && c <= '9':
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c == '-':
			allDigits = false
		default:
			return fmt.Errorf("pre-release identifier %q contains %q, only letters, digits and '-' are allowed", identifier, c)
		}
	}
	if allDigits && !isNumericIdentifier(identifier) {
		return fmt.Errorf("numeric pre-release identifier %q has a leading zero", identifier)
	}
	return nil
}
