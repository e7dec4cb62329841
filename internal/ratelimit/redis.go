// Package ratelimit keeps the API's request counts per caller in Redis,
// so that the servers behind a load balancer share one budget per caller
// instead of each granting its own: a client spreading its requests over
// three servers gets what it would get from one.
//
// The counts are httprate's sliding windows (a counter per caller and
// minute, the previous minute weighted by how much of it still counts),
// kept as Redis keys that expire after two windows. When Redis does not
// answer in time, a server counts in its own memory until it answers
// again: the limits then hold per server, as they did before, and the API
// does not fail for want of its counter.
package ratelimit

import (
	"context"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/go-chi/httprate"
	"github.com/redis/go-redis/v9"
)

// timeout bounds one exchange with Redis, which sits on every request's
// path.
const timeout = 100 * time.Millisecond

// warnEvery bounds how often a server logs that Redis is away.
const warnEvery = time.Minute

// Counter is an httprate.LimitCounter kept in Redis.
type Counter struct {
	client redis.UniversalClient
	prefix string
	logger *slog.Logger
	window time.Duration
	local  httprate.LimitCounter

	mu     sync.Mutex
	warned time.Time
}

// New returns a counter in client whose keys begin with prefix (one
// prefix per limit: the API's and the consumer pages' are separate
// budgets).
func New(client redis.UniversalClient, prefix string, logger *slog.Logger) *Counter {
	return &Counter{client: client, prefix: prefix, logger: logger, local: httprate.NewLocalLimitCounter(time.Minute)}
}

var _ httprate.LimitCounter = (*Counter)(nil)

// Config is told the limit and window by httprate.
func (c *Counter) Config(limit int, window time.Duration) {
	c.window = window
	c.local.Config(limit, window)
}

// Increment counts one request of key in the window.
func (c *Counter) Increment(key string, window time.Time) error {
	return c.IncrementBy(key, window, 1)
}

// IncrementBy counts n requests of key in the window.
func (c *Counter) IncrementBy(key string, window time.Time, n int) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	k := c.key(key, window)
	_, err := c.client.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.IncrBy(ctx, k, int64(n))
		p.Expire(ctx, k, 2*c.window)
		return nil
	})
	if err != nil {
		c.away(err)
		return c.local.IncrementBy(key, window, n)
	}
	return nil
}

// Get returns key's counts in the current and the previous window.
func (c *Counter) Get(key string, current, previous time.Time) (int, int, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	vals, err := c.client.MGet(ctx, c.key(key, current), c.key(key, previous)).Result()
	if err != nil {
		c.away(err)
		return c.local.Get(key, current, previous)
	}
	return count(vals[0]), count(vals[1]), nil
}

func (c *Counter) key(key string, window time.Time) string {
	return c.prefix + key + ":" + strconv.FormatInt(window.Unix(), 10)
}

// count reads a counter MGET answered: nil for a key not (or no longer)
// there.
func count(v any) int {
	s, _ := v.(string)
	n, _ := strconv.Atoi(s)
	return n
}

// away logs, at most once a minute, that Redis did not answer.
func (c *Counter) away(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if time.Since(c.warned) < warnEvery {
		return
	}
	c.warned = time.Now()
	c.logger.Warn("rate limits: Redis does not answer; counting on this server alone until it does", "err", err)
}
