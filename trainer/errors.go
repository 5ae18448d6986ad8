package trainer

import "errors"

var (
	// ErrInvalidData reports a CSV file that cannot be used for training.
	ErrInvalidData = errors.New("invalid training data")
	// ErrInvalidConfig reports a bad trainer configuration.
	ErrInvalidConfig = errors.New("invalid trainer config")
	// ErrBelowGate reports a model whose test accuracy is below the configured minimum.
	ErrBelowGate = errors.New("model below the quality gate")
)
