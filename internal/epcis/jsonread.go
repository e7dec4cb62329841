package epcis

import (
	"bytes"
	"encoding/json"
	"strings"
	"time"
)

// This file reads the document-level members of the EPCIS JSON binding,
// which the Decoder gets as raw JSON; events are read with the lexer.
// Refusals are fieldErrors whose path is relative to the value given.

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
