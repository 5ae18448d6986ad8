package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/go-playground/validator/v10"
)

// maxDetails is the maximum number of field errors in one error response, so that a body of
// thousands of bad rows does not produce a response larger than the request.
const maxDetails = 10

// predictRequest is the body of POST /v1/predict once its JSON types are known to fit. The
// validator checks the rest: at least one row, no key that is no feature, each value a finite
// number or null, and, in a struct-level rule, every feature present in each row.
type predictRequest struct {
	Inputs []map[string]json.RawMessage `json:"inputs" validate:"required,min=1,dive,dive,keys,feature,endkeys,number_or_null"`
}

// predictResponse is the body of a successful POST /v1/predict, described by
// schemas/predict-response.schema.json.
type predictResponse struct {
	Predictions   []int     `json:"predictions"`
	Probabilities []float64 `json:"probabilities"`
	Version       string    `json:"version"`
	ModelDigest   string    `json:"model_digest"`
}

// newRequestValidator returns a validator whose custom rules know the model's features.
func newRequestValidator(features []string) (*validator.Validate, error) {
	v := validator.New(validator.WithRequiredStructEnabled())
	v.RegisterTagNameFunc(func(field reflect.StructField) string {
		name, _, _ := strings.Cut(field.Tag.Get("json"), ",")
		return name
	})

	rules := map[string]validator.Func{
		// feature checks a row key.
		"feature": func(fl validator.FieldLevel) bool {
			return slices.Contains(features, fl.Field().String())
		},
		// number_or_null checks a row value.
		"number_or_null": func(fl validator.FieldLevel) bool {
			_, err := parseFeatureValue(fl.Field().Bytes())
			return err == nil
		},
	}
	for tag, rule := range rules {
		if err := v.RegisterValidation(tag, rule); err != nil {
			return nil, fmt.Errorf("register request rule %s: %w", tag, err)
		}
	}

	// A field rule on a row that fails stops the validator from diving into that row, so the
	// check for absent features runs at struct level, next to the per-key rules.
	v.RegisterStructValidation(func(sl validator.StructLevel) {
		request := sl.Current().Interface().(predictRequest)
		for i, row := range request.Inputs {
			for _, feature := range features {
				if _, ok := row[feature]; !ok {
					sl.ReportError(nil, fmt.Sprintf("inputs[%d][%s]", i, feature), "Inputs", "has_features", "")
				}
			}
		}
	}, predictRequest{})
	return v, nil
}

// errNotNumber and errOutOfRange are the reasons parseFeatureValue rejects a value.
var (
	errNotNumber  = errors.New("must be a number or null")
	errOutOfRange = errors.New("must be a finite number")
)

// parseFeatureValue returns the number in raw, or NaN, the classifier's missing value, for
// null. A number beyond the float64 range is rejected because JSON has no NaN or Infinity.
func parseFeatureValue(raw json.RawMessage) (float64, error) {
	if string(raw) == "null" {
		return math.NaN(), nil
	}
	if len(raw) == 0 || (raw[0] != '-' && (raw[0] < '0' || raw[0] > '9')) {
		return 0, errNotNumber
	}
	value, err := strconv.ParseFloat(string(raw), 64)
	if err != nil || math.IsInf(value, 0) || math.IsNaN(value) {
		return 0, errOutOfRange
	}
	return value, nil
}

// parseRows decodes and validates a predict request body and returns its rows, each with the
// values of m.features in order. Every error is a clientError that names the field.
func (m *model) parseRows(body []byte, maxRows int) ([][]float64, error) {
	request, err := decodePredictRequest(body, maxRows)
	if err != nil {
		return nil, err
	}

	if err := m.requests.Struct(request); err != nil {
		var fieldErrors validator.ValidationErrors
		if !errors.As(err, &fieldErrors) {
			return nil, fmt.Errorf("validate predict request: %w", err)
		}
		return nil, invalidRequest(m.describeFieldErrors(fieldErrors))
	}

	rows := make([][]float64, len(request.Inputs))
	for i, input := range request.Inputs {
		rows[i] = make([]float64, len(m.features))
		for j, feature := range m.features {
			// The validator accepted every value, so parsing cannot fail here.
			rows[i][j], _ = parseFeatureValue(input[feature])
		}
	}
	return rows, nil
}

// decodePredictRequest checks the JSON syntax and the types that the validator cannot see:
// the body is an object with only "inputs", which is an array of objects.
func decodePredictRequest(body []byte, maxRows int) (predictRequest, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return predictRequest{}, newClientError(errMalformedJSON, `request body is empty, send {"inputs": [...]}`)
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(body, &fields); err != nil {
		var syntaxErr *json.SyntaxError
		if errors.As(err, &syntaxErr) {
			return predictRequest{}, newClientError(errMalformedJSON, fmt.Sprintf("malformed JSON at byte %d: %v", syntaxErr.Offset, err))
		}
		return predictRequest{}, newClientError(errInvalidRequest, `request body must be a JSON object such as {"inputs": [...]}`)
	}
	if fields == nil {
		return predictRequest{}, newClientError(errInvalidRequest, `request body must be a JSON object such as {"inputs": [...]}`)
	}

	var problems []fieldError
	for name := range fields {
		if name != "inputs" {
			problems = append(problems, fieldError{Field: abbreviate(name), Message: `unknown field, a predict request has only "inputs"`})
		}
	}
	slices.SortFunc(problems, func(a, b fieldError) int { return strings.Compare(a.Field, b.Field) })
	if repeated := repeatedKeys(body, len(fields)); repeated != nil {
		// Rows of an "inputs" that appears twice would be ambiguous, so they are not checked.
		var repeatedProblems []fieldError
		for _, key := range repeated {
			repeatedProblems = append(repeatedProblems, fieldError{Field: abbreviate(key), Message: repeatedKeyMessage})
		}
		return predictRequest{}, invalidRequest(append(repeatedProblems, problems...))
	}

	var request predictRequest
	if raw, ok := fields["inputs"]; ok {
		var rows []json.RawMessage
		if err := json.Unmarshal(raw, &rows); err != nil {
			problems = append(problems, fieldError{Field: "inputs", Message: "must be an array with one object per row"})
			return predictRequest{}, invalidRequest(problems)
		}
		if len(rows) > maxRows {
			return predictRequest{}, newClientError(errTooManyRows,
				fmt.Sprintf("inputs has %d rows, more than the maximum of %d per request: split the rows into several requests", len(rows), maxRows))
		}
		if rows != nil {
			request.Inputs = make([]map[string]json.RawMessage, len(rows))
		}
		for i, row := range rows {
			if err := json.Unmarshal(row, &request.Inputs[i]); err != nil || request.Inputs[i] == nil {
				problems = append(problems, fieldError{Field: fmt.Sprintf("inputs[%d]", i), Message: "must be an object with one value per feature"})
				continue
			}
			for _, key := range repeatedKeys(row, len(request.Inputs[i])) {
				problems = append(problems, fieldError{Field: fmt.Sprintf("inputs[%d].%s", i, abbreviate(key)), Message: repeatedKeyMessage})
			}
		}
	}
	if len(problems) > 0 {
		return predictRequest{}, invalidRequest(problems)
	}
	return request, nil
}

// repeatedKeyMessage is the message of a key that appears more than once in one object.
const repeatedKeyMessage = "repeated key, send each key once"

// repeatedKeys returns each key that appears more than once in the JSON object in data, which
// must be valid JSON, in the order of its second appearance. decoded is the number of keys
// after json.Unmarshal into a map, which keeps only the last value of a repeated key.
// Counting the members first keeps the common case to one pass over the bytes without
// allocations.
func repeatedKeys(data []byte, decoded int) []string {
	if countMembers(data) == decoded {
		return nil
	}

	var repeated []string
	seen := make(map[string]int, decoded)
	decoder := json.NewDecoder(bytes.NewReader(data))
	if _, err := decoder.Token(); err != nil {
		return nil
	}
	for decoder.More() {
		token, err := decoder.Token()
		if err != nil {
			break
		}
		key, _ := token.(string)
		seen[key]++
		if seen[key] == 2 {
			repeated = append(repeated, key)
		}
		var value json.RawMessage
		if err := decoder.Decode(&value); err != nil {
			break
		}
	}
	return repeated
}

// countMembers returns the number of members of the JSON object in data, which must be valid
// JSON: the colons at the object's own nesting depth, outside strings.
func countMembers(data []byte) int {
	depth, count := 0, 0
	inString := false
	for i := 0; i < len(data); i++ {
		if inString {
			switch data[i] {
			case '\\':
				i++ // The escaped character cannot end the string.
			case '"':
				inString = false
			}
			continue
		}
		switch data[i] {
		case '"':
			inString = true
		case '{', '[':
			depth++
		case '}', ']':
			depth--
		case ':':
			if depth == 1 {
				count++
			}
		}
	}
	return count
}

// describeFieldErrors turns validator errors into field errors sorted by row and feature.
func (m *model) describeFieldErrors(fieldErrors validator.ValidationErrors) []fieldError {
	type located struct {
		row int
		fieldError
	}
	var problems []located
	for _, fieldErr := range fieldErrors {
		row, key := parseNamespace(fieldErr.Namespace())
		path := "inputs"
		if row >= 0 {
			path = fmt.Sprintf("inputs[%d]", row)
		}

		switch fieldErr.Tag() {
		case "required":
			problems = append(problems, located{row, fieldError{path, "missing or null, send an array with one object per row, with the keys " + strings.Join(m.features, ", ")}})
		case "min":
			problems = append(problems, located{row, fieldError{path, "empty, send at least one row"}})
		case "has_features":
			problems = append(problems, located{row, fieldError{path + "." + key, "missing, send null for a missing value"}})
		case "feature":
			// For a key rule, the value is the key itself, whatever brackets it contains.
			key, _ := fieldErr.Value().(string)
			problems = append(problems, located{row, fieldError{path + "." + abbreviate(key), m.describeUnknownFeature(key)}})
		case "number_or_null":
			raw, _ := fieldErr.Value().(json.RawMessage)
			_, err := parseFeatureValue(raw)
			message := err.Error()
			if errors.Is(err, errOutOfRange) {
				message += ", " + abbreviate(string(raw)) + " is out of range"
			}
			problems = append(problems, located{row, fieldError{path + "." + abbreviate(key), message}})
		default:
			problems = append(problems, located{row, fieldError{path, "invalid (rule " + fieldErr.Tag() + ")"}})
		}
	}

	slices.SortStableFunc(problems, func(a, b located) int {
		if a.row != b.row {
			return a.row - b.row
		}
		return strings.Compare(a.Field, b.Field)
	})
	result := make([]fieldError, len(problems))
	for i, problem := range problems {
		result[i] = problem.fieldError
	}
	return result
}

// describeUnknownFeature explains a row key that is no feature, and suggests the feature it
// differs from only in case.
func (m *model) describeUnknownFeature(key string) string {
	message := "unknown feature, the features are " + strings.Join(m.features, ", ")
	for _, feature := range m.features {
		if strings.EqualFold(feature, key) {
			message += ": did you mean " + feature + "?"
		}
	}
	return message
}

// parseNamespace splits a validator namespace such as "predictRequest.inputs[3][Age]" into
// the row index 3 and the map key "Age". It returns row -1 for the inputs field itself.
func parseNamespace(namespace string) (row int, key string) {
	_, path, _ := strings.Cut(namespace, ".")
	rest, ok := strings.CutPrefix(path, "inputs[")
	if !ok {
		return -1, ""
	}
	index, rest, ok := strings.Cut(rest, "]")
	if !ok {
		return -1, ""
	}
	row, err := strconv.Atoi(index)
	if err != nil {
		return -1, ""
	}
	// The key is between the next "[" and the last "]", and may itself contain brackets.
	if strings.HasPrefix(rest, "[") && strings.HasSuffix(rest, "]") {
		key = rest[1 : len(rest)-1]
	}
	return row, key
}

// invalidRequest returns a clientError whose message is the first problem, with a count of
// the others, and whose details list up to maxDetails problems.
func invalidRequest(problems []fieldError) *clientError {
	message := problems[0].Field + ": " + problems[0].Message
	if more := len(problems) - 1; more == 1 {
		message += " (and 1 more error)"
	} else if more > 1 {
		message += fmt.Sprintf(" (and %d more errors)", more)
	}
	details := problems
	if len(details) > maxDetails {
		details = details[:maxDetails]
	}
	return &clientError{kind: errInvalidRequest, message: message, details: details}
}
