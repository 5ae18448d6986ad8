package configdecode

import (
	"testing"

	"github.com/go-viper/mapstructure/v2"
)

type settings struct {
	Port    int     `koanf:"port"`
	Rate    float64 `koanf:"rate"`
	Enabled bool    `koanf:"enabled"`
	Name    string  `koanf:"name"`
	Small   int8    `koanf:"small"`
}

func decode(input map[string]any) (settings, error) {
	var out settings
	decoder, err := mapstructure.NewDecoder(&mapstructure.DecoderConfig{
		DecodeHook: StrictHook, WeaklyTypedInput: true, TagName: "koanf", Result: &out,
	})
	if err != nil {
		return out, err
	}
	return out, decoder.Decode(input)
}

func TestStrictHook_Accepts(t *testing.T) {
	got, err := decode(map[string]any{"port": "0100", "rate": "0.5", "enabled": "true", "name": "model", "small": 3.0})
	if err != nil {
		t.Fatal(err)
	}
	want := settings{Port: 100, Rate: 0.5, Enabled: true, Name: "model", Small: 3}
	if got != want {
		t.Errorf("decoded %+v, want %+v (a leading zero is decimal)", got, want)
	}
}

func TestStrictHook_Rejects(t *testing.T) {
	tests := []struct {
		name  string
		input map[string]any
	}{
		{"empty string for int", map[string]any{"port": ""}},
		{"hex string", map[string]any{"port": "0x1F91"}},
		{"fraction for int", map[string]any{"port": 1.5}},
		{"bool for int", map[string]any{"port": true}},
		{"int overflow", map[string]any{"small": 300}},
		{"float overflow", map[string]any{"port": 1e20}},
		{"empty string for float", map[string]any{"rate": ""}},
		{"infinite float", map[string]any{"rate": "Inf"}},
		{"bool for float", map[string]any{"rate": false}},
		{"number for bool", map[string]any{"enabled": 1}},
		{"bad bool string", map[string]any{"enabled": "yes please"}},
		{"bool for string", map[string]any{"name": true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, err := decode(tt.input); err == nil {
				t.Errorf("decode(%v) = %+v, want an error", tt.input, got)
			}
		})
	}
}
