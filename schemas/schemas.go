// Package schemas contains the JSON Schemas (draft 2020-12) of the model server's HTTP API
// and of the metadata.json file in a model release, and validates documents against them.
//
// The schema files sit next to this file so that clients in other languages can use them
// directly. See https://json-schema.org/draft/2020-12 for the schema language.
package schemas

import (
	"bytes"
	"embed"
	"fmt"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// Schema file names, the values that Validate takes.
const (
	PredictRequest  = "predict-request.schema.json"
	PredictResponse = "predict-response.schema.json"
	Error           = "error.schema.json"
	Health          = "health.schema.json"
	Model           = "model.schema.json"
	Metadata        = "metadata.schema.json"
)

// baseURL is the prefix of every schema's $id. Schemas refer to each other by file name
// relative to it, and the compiler resolves those references from the embedded files only.
const baseURL = "https://github.com/bankml/retire/schemas/"

//go:embed *.json
var files embed.FS

// compiled returns every schema, compiled on first use and keyed by file name.
var compiled = sync.OnceValues(compileAll)

// Validate checks that doc is one JSON value that matches the schema in schemaFile, one of
// the constants above. It returns an error wrapping ErrUnknownSchema or ErrInvalidDocument.
func Validate(schemaFile string, doc []byte) error {
	all, err := compiled()
	if err != nil {
		return err
	}
	schema, ok := all[schemaFile]
	if !ok {
		return fmt.Errorf("schema %q: %w", schemaFile, ErrUnknownSchema)
	}

	value, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		return fmt.Errorf("document for %s is not valid JSON: %w: %w", schemaFile, ErrInvalidDocument, err)
	}
	if err := schema.Validate(value); err != nil {
		return fmt.Errorf("document does not match %s: %w: %w", schemaFile, ErrInvalidDocument, err)
	}
	return nil
}

// compileAll adds every embedded file as a resource before compiling any, so that
// references between the files resolve without a loader. Format keywords such as
// "date-time" are asserted, which draft 2020-12 leaves optional.
func compileAll() (map[string]*jsonschema.Schema, error) {
	entries, err := files.ReadDir(".")
	if err != nil {
		return nil, fmt.Errorf("read embedded schemas: %w", err)
	}

	compiler := jsonschema.NewCompiler()
	compiler.DefaultDraft(jsonschema.Draft2020)
	compiler.AssertFormat()
	for _, entry := range entries {
		data, err := files.ReadFile(entry.Name())
		if err != nil {
			return nil, fmt.Errorf("read embedded schema %s: %w", entry.Name(), err)
		}
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
		if err != nil {
			return nil, fmt.Errorf("parse embedded schema %s: %w", entry.Name(), err)
		}
		if err := compiler.AddResource(baseURL+entry.Name(), doc); err != nil {
			return nil, fmt.Errorf("add embedded schema %s: %w", entry.Name(), err)
		}
	}

	all := make(map[string]*jsonschema.Schema, len(entries))
	for _, entry := range entries {
		schema, err := compiler.Compile(baseURL + entry.Name())
		if err != nil {
			return nil, fmt.Errorf("compile embedded schema %s: %w", entry.Name(), err)
		}
		all[entry.Name()] = schema
	}
	return all, nil
}
