package web

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// Session values are stored as one JSON object. Keys are strings; values are
// strings, booleans or int64: enough for ids, flags and counters, and
// readable back without gob or registered types.

// encodeValues turns a session's values into the data column.
func encodeValues(values map[any]any) ([]byte, error) {
	m := make(map[string]any, len(values))
	for k, v := range values {
		key, ok := k.(string)
		if !ok {
			return nil, fmt.Errorf("web: session key %v (%T) is not a string", k, k)
		}
		switch v.(type) {
		case string, bool, int64:
		default:
			return nil, fmt.Errorf("web: session value %q is a %T; only string, bool and int64 are stored", key, v)
		}
		m[key] = v
	}
	return json.Marshal(m)
}

// decodeValues reads the data column back.
func decodeValues(data []byte) (map[any]any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("web: session data is not a JSON object: %w", err)
	}
	values := make(map[any]any, len(m))
	for k, v := range m {
		switch v := v.(type) {
		case string, bool:
			values[k] = v
		case json.Number:
			n, err := v.Int64()
			if err != nil {
				return nil, fmt.Errorf("web: session value %q: %w", k, err)
			}
			values[k] = n
		default:
			return nil, fmt.Errorf("web: session value %q is a %T", k, v)
		}
	}
	return values, nil
}
