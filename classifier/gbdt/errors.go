package gbdt

import "errors"

// Sentinel errors. Functions wrap them with the field, value or file position that failed, so
// callers can test the kind with errors.Is and show the wrapped text to a person.
var (
	// ErrInvalidParam reports a hyperparameter outside its allowed range.
	ErrInvalidParam = errors.New("invalid parameter")
	// ErrInvalidData reports training data that Train cannot use.
	ErrInvalidData = errors.New("invalid training data")
	// ErrInvalidModel reports a model file that is not a usable XGBoost JSON model.
	ErrInvalidModel = errors.New("invalid model")
	// ErrUnsupportedModel reports a well-formed XGBoost model that uses a feature this
	// package does not implement, such as another objective or categorical splits.
	ErrUnsupportedModel = errors.New("unsupported model")
	// ErrFeatureMismatch reports a model whose feature names differ from the expected ones.
	ErrFeatureMismatch = errors.New("feature names do not match")
	// ErrInvalidInput reports prediction input of the wrong shape.
	ErrInvalidInput = errors.New("invalid prediction input")
)
