package artifact

import (
	"errors"
	"strings"
	"testing"

	"github.com/opencontainers/go-digest"
)

const testDigest = digest.Digest("sha256:4a6a5fb1e0ab3e6e0fcb4ac8b8f5dc6b7d0d1c1b0e8e3c4a0b6f8e9a7c6d5e4f")

func TestParseReference(t *testing.T) {
	tests := []struct {
		name    string
		input   string
		want    Reference
		wantErr error
	}{
		{name: "host and tag", input: "registry.example.com/models/retire:1.2.3",
			want: Reference{Registry: "registry.example.com", Repository: "models/retire", Tag: "1.2.3"}},
		{name: "host with port", input: "127.0.0.1:5000/retire:1.0.0-rc.1",
			want: Reference{Registry: "127.0.0.1:5000", Repository: "retire", Tag: "1.0.0-rc.1"}},
		{name: "digest", input: "localhost:5000/models/retire@" + testDigest.String(),
			want: Reference{Registry: "localhost:5000", Repository: "models/retire", Digest: testDigest}},
		{name: "layout tag", input: "oci:/var/lib/models/layout:1.2.3",
			want: Reference{LayoutPath: "/var/lib/models/layout", Tag: "1.2.3"}},
		{name: "relative layout tag", input: "oci:layout:2.0.0",
			want: Reference{LayoutPath: "layout", Tag: "2.0.0"}},
		{name: "layout path with colon", input: "oci:/tmp/a:b/layout:1.0.0",
			want: Reference{LayoutPath: "/tmp/a:b/layout", Tag: "1.0.0"}},
		{name: "layout digest", input: "oci:/tmp/layout@" + testDigest.String(),
			want: Reference{LayoutPath: "/tmp/layout", Digest: testDigest}},

		{name: "empty", input: "", wantErr: ErrInvalidReference},
		{name: "no host", input: "retire:1.0.0", wantErr: ErrInvalidReference},
		{name: "no tag", input: "localhost:5000/retire", wantErr: ErrInvalidReference},
		{name: "tag and digest", input: "localhost:5000/retire:1.0.0@" + testDigest.String(), wantErr: ErrInvalidReference},
		{name: "uppercase repository", input: "localhost:5000/Retire:1.0.0", wantErr: ErrInvalidReference},
		{name: "bad digest", input: "localhost:5000/retire@sha256:abc", wantErr: ErrInvalidReference},
		{name: "bad tag", input: "localhost:5000/retire:-1", wantErr: ErrInvalidReference},
		{name: "layout no tag", input: "oci:/tmp/layout", wantErr: ErrInvalidReference},
		{name: "layout empty path", input: "oci::1.0.0", wantErr: ErrInvalidReference},
		{name: "layout bad digest", input: "oci:/tmp/layout@sha256:xyz", wantErr: ErrInvalidReference},
		{name: "layout bad tag", input: "oci:/tmp/layout:.hidden", wantErr: ErrInvalidReference},
		{name: "layout tag and digest", input: "oci:/tmp/layout:1.0.0@" + testDigest.String(), wantErr: ErrInvalidReference},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseReference(tt.input)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("ParseReference(%q) error = %v, want %v", tt.input, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseReference(%q): %v", tt.input, err)
			}
			if got != tt.want {
				t.Errorf("ParseReference(%q) = %+v, want %+v", tt.input, got, tt.want)
			}
			if got.String() != tt.input {
				t.Errorf("String() = %q, want the input %q", got.String(), tt.input)
			}
		})
	}
}

func TestJoinReference(t *testing.T) {
	tests := []struct {
		name       string
		repository string
		version    string
		want       string
		wantErr    error
	}{
		{name: "remote tag", repository: "localhost:5000/models/retire", version: "1.2.3", want: "localhost:5000/models/retire:1.2.3"},
		{name: "remote digest", repository: "localhost:5000/retire", version: testDigest.String(), want: "localhost:5000/retire@" + testDigest.String()},
		{name: "layout tag", repository: "oci:/srv/layout", version: "1.0.0", want: "oci:/srv/layout:1.0.0"},
		{name: "layout digest", repository: "oci:/srv/layout", version: testDigest.String(), want: "oci:/srv/layout@" + testDigest.String()},

		{name: "empty repository", repository: "", version: "1.0.0", wantErr: ErrInvalidReference},
		{name: "empty version", repository: "localhost:5000/retire", version: "", wantErr: ErrInvalidReference},
		{name: "repository with tag", repository: "localhost:5000/retire:1.0.0", version: "1.0.1", wantErr: ErrInvalidReference},
		{name: "repository with digest", repository: "localhost:5000/retire@" + testDigest.String(), version: "1.0.0", wantErr: ErrInvalidReference},
		{name: "bad digest version", repository: "localhost:5000/retire", version: "sha256:123", wantErr: ErrInvalidReference},
		{name: "bad tag version", repository: "localhost:5000/retire", version: "1.0/0", wantErr: ErrInvalidReference},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := JoinReference(tt.repository, tt.version)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("JoinReference(%q, %q) error = %v, want %v", tt.repository, tt.version, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("JoinReference(%q, %q): %v", tt.repository, tt.version, err)
			}
			if got.String() != tt.want {
				t.Errorf("JoinReference(%q, %q) = %q, want %q", tt.repository, tt.version, got, tt.want)
			}
			if got.Version() != tt.version {
				t.Errorf("Version() = %q, want %q", got.Version(), tt.version)
			}
		})
	}
}

func TestJoinReference_Messages(t *testing.T) {
	tests := []struct {
		name       string
		repository string
		wantText   string
		absentText string
	}{
		{name: "http scheme", repository: "http://127.0.0.1:5000/retire",
			wantText: `starts with the URL scheme http://, which is not part of a repository: write 127.0.0.1:5000/retire`, absentText: "contains a tag"},
		{name: "https scheme", repository: "https://127.0.0.1/models/retire",
			wantText: "write 127.0.0.1/models/retire"},
		{name: "upper-case path", repository: "127.0.0.1:5000/Models/Retire",
			wantText: "Repository names are lower case: write 127.0.0.1:5000/models/retire"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := JoinReference(tt.repository, "1.0.0")
			if !errors.Is(err, ErrInvalidReference) {
				t.Fatalf("JoinReference(%q) error = %v, want ErrInvalidReference", tt.repository, err)
			}
			if !strings.Contains(err.Error(), tt.wantText) {
				t.Errorf("error %q does not contain %q", err, tt.wantText)
			}
			if tt.absentText != "" && strings.Contains(err.Error(), tt.absentText) {
				t.Errorf("error %q contains %q", err, tt.absentText)
			}
		})
	}
}

func TestParseReference_LayoutSchemeInAnyCase(t *testing.T) {
	for _, input := range []string{"OCI:/srv/layout:1.0.0", "Oci:/srv/layout:1.0.0"} {
		got, err := ParseReference(input)
		if err != nil {
			t.Fatalf("ParseReference(%q): %v", input, err)
		}
		want := Reference{LayoutPath: "/srv/layout", Tag: "1.0.0"}
		if got != want {
			t.Errorf("ParseReference(%q) = %+v, want %+v", input, got, want)
		}
	}

	got, err := JoinReference("OCI:/srv/layout", testDigest.String())
	if err != nil {
		t.Fatal(err)
	}
	if want := "oci:/srv/layout@" + testDigest.String(); got.String() != want {
		t.Errorf("JoinReference(OCI:...) = %q, want %q", got, want)
	}
}
