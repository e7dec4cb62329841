package epcis

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
)

// Hash names e by a SHA-256 of its JSON form.
func Hash(e *Event) (string, error) {
	b, err := json.Marshal(e)
	if err != nil {
		return "", fmt.Errorf("hashing event: %w", err)
	}
	s := sha256.Sum256(b)
	return "ni:///sha-256;" + hex.EncodeToString(s[:]) + "?ver=CBV2.0", nil
}
