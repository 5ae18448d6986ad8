package schemas

import "errors"

// Sentinel errors of Validate. The wrapping error names the schema file and, for an invalid
// document, every location in it that breaks the schema.
var (
	// ErrUnknownSchema means the schema file name is not one of the files in this package.
	ErrUnknownSchema = errors.New("unknown schema")

	// ErrInvalidDocument means the document is not JSON or does not match the schema.
	ErrInvalidDocument = errors.New("invalid document")
)
