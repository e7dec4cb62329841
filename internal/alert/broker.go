package alert

import (
	"context"
	"sync"

	"suyuan/ent"
)

// Broker passes alerts from the transactions that raise them to the
// subscribers connected to this process. A slow subscriber loses alerts
// rather than holding up a recording: it can always list them again.
type Broker struct {
	mu   sync.Mutex
	subs map[*subscription]struct{}
}

type subscription struct {
	ch    chan *ent.Alert
	wants func(*ent.Alert) bool
}

// NewBroker returns a broker without subscribers.
func NewBroker() *Broker {
	return &Broker{subs: map[*subscription]struct{}{}}
}

// subscriberBuffer is how many alerts may wait for a subscriber.
const subscriberBuffer = 64

// Subscribe returns a channel of the alerts wants accepts, published from
// now until ctx ends; then the channel is closed.
func (b *Broker) Subscribe(ctx context.Context, wants func(*ent.Alert) bool) <-chan *ent.Alert {
	s := &subscription{ch: make(chan *ent.Alert, subscriberBuffer), wants: wants}
	b.mu.Lock()
	b.subs[s] = struct{}{}
	b.mu.Unlock()
	go func() {
		<-ctx.Done()
		b.mu.Lock()
		delete(b.subs, s)
		close(s.ch)
		b.mu.Unlock()
	}()
	return s.ch
}

// Publish hands alerts to the subscribers that want them. Call it after
// the transaction that raised them has committed.
func (b *Broker) Publish(alerts ...*ent.Alert) {
	if b == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	for s := range b.subs {
		for _, a := range alerts {
			if !s.wants(a) {
				continue
			}
			select {
			case s.ch <- a:
			default:
			}
		}
	}
}
