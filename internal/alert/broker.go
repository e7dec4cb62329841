package alert

import (
	"context"
	"sync"

	"suyuan/ent"
	"suyuan/ent/alert"
	"suyuan/internal/reqlog"
	"suyuan/internal/tenancy"
)

// Broker passes alerts from the transactions that raise them to the
// subscribers connected to this process. A slow subscriber loses alerts
// rather than holding up a recording: it can always list them again.
type Broker struct {
	mu    sync.Mutex
	subs  map[*subscription]struct{}
	count func(kind string) // told of each alert published (metrics)
}

type subscription struct {
	ch    chan *ent.Alert
	wants func(*ent.Alert) bool
}

// NewBroker returns a broker without subscribers.
func NewBroker() *Broker {
	return &Broker{subs: map[*subscription]struct{}{}}
}

// CountWith has f told the kind of every alert published from now on:
// every alert raised, by a recording, a recall or the screener, is
// published once its transaction commits, so f counts them all.
func (b *Broker) CountWith(f func(kind string)) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.count = f
}

// subscriberBuffer is how many alerts may wait for a subscriber: more
// than the screener stores in one transaction (200), so a subscriber that
// keeps up loses none of a run's burst.
const subscriberBuffer = 256

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

// Publish hands alerts raised in a transaction that has committed to the
// subscribers that want them. They are read again first: rows returned
// inside a transaction cannot load their edges once it has ended, and a
// subscriber asks for them.
func (b *Broker) Publish(ctx context.Context, client *ent.Client, raised ...*ent.Alert) {
	if b == nil || len(raised) == 0 {
		return
	}
	b.mu.Lock()
	count := b.count
	b.mu.Unlock()
	if count != nil {
		for _, a := range raised {
			count(string(a.Kind))
		}
	}
	ids := make([]int, len(raised))
	for i, a := range raised {
		ids[i] = a.ID
	}
	alerts, err := client.Alert.Query().Where(alert.IDIn(ids...)).Order(ent.Asc(alert.FieldID)).All(tenancy.System(ctx))
	if err != nil {
		// The alerts are stored; subscribers will see them when they list.
		reqlog.Logger(ctx).Warn("publishing alerts", "error", err.Error())
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
