package epcis

import (
	"bytes"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"time"
)

// This file reads the members of the EPCIS JSON binding. Every reader
// reports refusals as fieldErrors whose path is relative to the value it
// was given, so that the event reader can name the member exactly.

// members decodes a JSON object and returns its members with the keys in
// sorted order, so that the first refusal reported does not depend on map
// iteration.
func members(b []byte) (map[string]json.RawMessage, []string, error) {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || b[0] != '{' {
		return nil, nil, errAt("", "must be a JSON object")
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, nil, &fieldError{msg: "is not valid JSON: " + err.Error(), err: err}
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return m, keys, nil
}

// isExtensionKey reports whether k is a namespaced key (prefix:name or an
// absolute IRI), which EPCIS allows for user extensions.
func isExtensionKey(k string) bool {
	i := strings.IndexByte(k, ':')
	return i > 0 && i < len(k)-1
}

// unknown refuses an un-namespaced key the standard does not define, or
// stores a namespaced one in ext.
func unknown(ext *map[string]json.RawMessage, k string, v json.RawMessage) error {
	if !isExtensionKey(k) {
		return errAt("", "is not a member of this EPCIS object; extension members must be namespaced (prefix:name)")
	}
	if *ext == nil {
		*ext = make(map[string]json.RawMessage)
	}
	(*ext)[k] = v
	return nil
}

func readString(v json.RawMessage) (string, error) {
	var s string
	if len(v) == 0 || v[0] != '"' || json.Unmarshal(v, &s) != nil {
		return "", errAt("", "must be a string")
	}
	return s, nil
}

// readURI reads a string that must be non-empty and contain no spaces; it
// is a URI as far as the JSON binding can tell.
func readURI(v json.RawMessage) (string, error) {
	s, err := readString(v)
	if err != nil {
		return "", err
	}
	if s == "" || strings.ContainsAny(s, " \t\n\r") {
		return "", errAt("", "must be a URI, not %q", s)
	}
	return s, nil
}

func readStrings(v json.RawMessage, each func(json.RawMessage) (string, error)) ([]string, error) {
	var raw []json.RawMessage
	if len(v) == 0 || v[0] != '[' || json.Unmarshal(v, &raw) != nil {
		return nil, errAt("", "must be an array")
	}
	out := make([]string, len(raw))
	for i, r := range raw {
		s, err := each(r)
		if err != nil {
			return nil, under(itoa(i), err)
		}
		out[i] = s
	}
	return out, nil
}

func readNumber(v json.RawMessage) (*float64, error) {
	var f float64
	if len(v) == 0 || !(v[0] == '-' || v[0] >= '0' && v[0] <= '9') {
		return nil, errAt("", "must be a number")
	}
	if err := json.Unmarshal(v, &f); err != nil {
		return nil, errAt("", "must be a finite number")
	}
	return &f, nil
}

func readBool(v json.RawMessage) (*bool, error) {
	var b bool
	if err := json.Unmarshal(v, &b); err != nil || len(v) == 0 || (v[0] != 't' && v[0] != 'f') {
		return nil, errAt("", "must be true or false")
	}
	return &b, nil
}

func readTime(v json.RawMessage) (time.Time, error) {
	s, err := readString(v)
	if err != nil {
		return time.Time{}, err
	}
	t, err := parseTime(s)
	if err != nil {
		return time.Time{}, errAt("", "%s", err.Error())
	}
	return t, nil
}

func readTimePtr(v json.RawMessage) (*time.Time, error) {
	t, err := readTime(v)
	if err != nil {
		return nil, err
	}
	return &t, nil
}

// readList decodes a JSON array of objects with read.
func readList[T any](v json.RawMessage, read func(*T, json.RawMessage) error) ([]T, error) {
	var raw []json.RawMessage
	if len(v) == 0 || v[0] != '[' || json.Unmarshal(v, &raw) != nil {
		return nil, errAt("", "must be an array")
	}
	out := make([]T, len(raw))
	for i, r := range raw {
		if err := read(&out[i], r); err != nil {
			return nil, under(itoa(i), err)
		}
	}
	return out, nil
}

// readContext collects the prefix definitions (term → IRI string) of a
// JSON-LD @context: a URL, an object, or an array of both. Remote
// contexts are not fetched: the EPCIS context's own prefixes are known.
func readContext(v json.RawMessage, into map[string]string) error {
	v = bytes.TrimSpace(v)
	if len(v) == 0 {
		return errAt("", "must be a URL, an object or an array")
	}
	switch v[0] {
	case '"':
		return nil
	case '[':
		var raw []json.RawMessage
		if err := json.Unmarshal(v, &raw); err != nil {
			return errAt("", "must be a URL, an object or an array")
		}
		for i, r := range raw {
			if err := readContext(r, into); err != nil {
				return under(itoa(i), err)
			}
		}
		return nil
	case '{':
		var m map[string]json.RawMessage
		if err := json.Unmarshal(v, &m); err != nil {
			return errAt("", "must be a URL, an object or an array")
		}
		for k, r := range m {
			var iri string
			if json.Unmarshal(r, &iri) == nil && !strings.HasPrefix(k, "@") {
				into[k] = iri
			}
		}
		return nil
	}
	return errAt("", "must be a URL, an object or an array")
}

// errIs reports whether err is a fieldError (a refusal) rather than an
// I/O or internal failure.
func isRefusal(err error) bool {
	var fe *fieldError
	return errors.As(err, &fe)
}
