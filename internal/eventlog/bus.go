package eventlog

import "sync"

// Bus tells subscribers of committed changes: this server's own as soon as
// they commit, other servers' as the follower reads them from the outbox.
// Subscribers run in the recording's goroutine and must be quick (a cache
// invalidation); slow work belongs to a deliverer following the outbox.
type Bus struct {
	mu   sync.RWMutex
	subs []func(*Change)
}

// Subscribe adds f to the subscribers.
func (b *Bus) Subscribe(f func(*Change)) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.subs = append(b.subs, f)
}

func (b *Bus) tell(c *Change) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	for _, f := range b.subs {
		f(c)
	}
}
