// Package configdecode holds the strict value conversion that the trainer's and the
// server's koanf configs share. mapstructure's weak typing, which koanf turns on, reads
// "010" as octal, "" as 0, true as 1 and 1.5 as 1; each of those silently changes what a
// setting means, so this hook turns them into errors instead.
package configdecode

import (
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
)

// StrictHook is a mapstructure DecodeHookFuncType for koanf.UnmarshalConf.DecoderConfig.
// Strings for numeric and boolean fields must parse in full in base 10 (an empty string is
// no zero), floats must be whole numbers in range to fill an integer field, and booleans
// fill only boolean fields.
func StrictHook(_, to reflect.Type, data any) (any, error) {
	switch to.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return toInt(data, to.Bits())
	case reflect.Float32, reflect.Float64:
		return toFloat(data)
	case reflect.Bool:
		switch v := data.(type) {
		case bool:
			return v, nil
		case string:
			b, err := strconv.ParseBool(strings.TrimSpace(v))
			if err != nil {
				return nil, fmt.Errorf("%q is not true or false", v)
			}
			return b, nil
		default:
			return nil, fmt.Errorf("%v is not true or false", data)
		}
	case reflect.String:
		if _, ok := data.(bool); ok {
			return nil, fmt.Errorf("%v is a boolean, want text: quote it", data)
		}
	}
	return data, nil
}

func toInt(data any, bits int) (any, error) {
	limit := math.Ldexp(1, bits-1)
	switch v := data.(type) {
	case string:
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, bits)
		if err != nil {
			return nil, fmt.Errorf("%q is not a whole number of %d bits in base 10", v, bits)
		}
		return n, nil
	case float64:
		if v != math.Trunc(v) || v < -limit || v >= limit {
			return nil, fmt.Errorf("%v is not a whole number of %d bits", v, bits)
		}
		return int64(v), nil
	case int:
		if float64(v) < -limit || float64(v) >= limit {
			return nil, fmt.Errorf("%d is out of range for %d bits", v, bits)
		}
		return v, nil
	case int64:
		if float64(v) < -limit || float64(v) >= limit {
			return nil, fmt.Errorf("%d is out of range for %d bits", v, bits)
		}
		return v, nil
	case uint64:
		if float64(v) >= limit {
			return nil, fmt.Errorf("%d is out of range for %d bits", v, bits)
		}
		return int64(v), nil
	case bool:
		return nil, fmt.Errorf("%v is a boolean, want a whole number", v)
	}
	return data, nil
}

func toFloat(data any) (any, error) {
	switch v := data.(type) {
	case string:
		f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, fmt.Errorf("%q is not a finite number", v)
		}
		return f, nil
	case bool:
		return nil, fmt.Errorf("%v is a boolean, want a number", v)
	}
	return data, nil
}
