package server_test

import (
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"os"
	"testing"

	"github.com/redis/go-redis/v9"

	"suyuan/internal/testdb"
	"suyuan/server"
)

// testRedis returns the Redis of SUYUAN_TEST_REDIS_URL and a key prefix of
// the test's own; the test is skipped without one (CI sets it).
func testRedis(t *testing.T) (*redis.Client, string) {
	t.Helper()
	url := os.Getenv("SUYUAN_TEST_REDIS_URL")
	if url == "" {
		t.Skip("SUYUAN_TEST_REDIS_URL is not set (redis://127.0.0.1:6379/0)")
	}
	opts, err := redis.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	rc := redis.NewClient(opts)
	t.Cleanup(func() { rc.Close() })
	var b [6]byte
	rand.Read(b[:])
	return rc, "suyuan-test-" + hex.EncodeToString(b[:]) + ":"
}

// TestRateLimitsAcrossServers: servers sharing a Redis count a caller's
// requests together, so spreading them over two servers buys nothing; a
// server whose Redis is away counts alone and still answers.
func TestRateLimitsAcrossServers(t *testing.T) {
	rc, prefix := testRedis(t)
	db := testdb.SQLite(t)
	cfg := server.Config{RateLimit: 6, Redis: rc, RedisPrefix: prefix}
	a := newAPI(t, db, cfg)
	b := newAPI(t, db, cfg).as(a.token) // the same caller, on the other server
	status := func(c *api) int {
		res := c.get("/graphql?query=%7B__typename%7D")
		res.Body.Close()
		return res.StatusCode
	}
	for i := range 6 {
		c := a
		if i%2 == 1 {
			c = b
		}
		if s := status(c); s != http.StatusOK {
			t.Fatalf("request %d of the 6 allowed answered %d", i+1, s)
		}
	}
	if s := status(b); s != http.StatusTooManyRequests {
		t.Errorf("the 7th request, on the other server, answered %d: the servers count apart", s)
	}
	if s := status(a); s != http.StatusTooManyRequests {
		t.Errorf("the 8th request answered %d", s)
	}

	t.Run("redis away", func(t *testing.T) {
		away := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1})
		defer away.Close()
		c := newAPI(t, testdb.SQLite(t), server.Config{RateLimit: 5, Redis: away, RedisPrefix: prefix})
		for i := range 5 {
			if s := status(c); s != http.StatusOK {
				t.Fatalf("request %d answered %d with Redis away", i+1, s)
			}
		}
		if s := status(c); s != http.StatusTooManyRequests {
			t.Errorf("the 6th request of 5 answered %d: with Redis away the server counts alone", s)
		}
	})
}
