package logging

import "testing"

// TestSensitiveKeyAsRegexp holds the substring check of keys to the
// regular expression it replaces on the hot path.
func TestSensitiveKeyAsRegexp(t *testing.T) {
	keys := []string{
		"", "method", "path", "status", "bytes", "duration_ms", "request_id", "user", "org", "role",
		"password", "Password", "db_PASSWORD", "passwd", "pass", "secret", "clientSecret", "token",
		"token_count", "access_token", "Authorization", "authorisation", "authorize", "api_key", "X-Api-Key",
		"apikey", "api.key", "api key", "cookie", "Set-Cookie", "refresh", "refreshToken", "credential",
		"credentials", "private_key", "privateKey", "private.key", "private key", "key", "keyID",
		"ſecret", "toKen", "Kelvin_\u212Aey", "api-\u212Aey", "a_very_long_attribute_key_that_is_longer_than_sixty_four_bytes_password",
		"a_very_long_attribute_key_that_is_longer_than_sixty_four_bytes_harmless",
	}
	for _, k := range keys {
		if got, want := sensitiveKey(k), sensitiveKeyRe.MatchString(k); got != want {
			t.Errorf("sensitiveKey(%q) = %v, the regular expression says %v", k, got, want)
		}
	}
}

// TestSensitiveKeyAllocatesNothing: the check runs for every attribute of
// every log line.
func TestSensitiveKeyAllocatesNothing(t *testing.T) {
	if n := testing.AllocsPerRun(100, func() { sensitiveKey("duration_ms") }); n != 0 {
		t.Errorf("sensitiveKey allocates %v times", n)
	}
}
