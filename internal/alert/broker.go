package alert

import (
	"context"
	"sync"
	"time"

	"suyuan/ent"
	"suyuan/ent/alert"
	"suyuan/internal/eventlog"
	"suyuan/internal/reqlog"
	"suyuan/internal/tenancy"
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

// Follow publishes the alerts each change of bus raised: this server's at
// once, other servers' as the log's follower reads them.
func (b *Broker) Follow(bus *eventlog.Bus, client *ent.Client) {
	bus.Subscribe(func(c *eventlog.Change) {
		ids := c.RaisedAlerts()
		if len(ids) == 0 {
			return
		}
		// Bus subscribers are told after the change committed, with no
		// request to bound them: a read that hangs must not.
		ctx, cancel := context.WithTimeout(context.Background(), publishTimeout)
		defer cancel()
		b.Publish(ctx, client, ids...)
	})
}

// publishTimeout bounds the read of the alerts a change raised.
const publishTimeout = 5 * time.Second

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

// Publish hands the alerts with ids, raised in a transaction that has
// committed, to the subscribers that want them. They are read first: a
// subscriber asks for their edges. Follow wires it to the event log, so
// that alerts raised by any server reach the subscribers of every one.
func (b *Broker) Publish(ctx context.Context, client *ent.Client, ids ...int) {
	if b == nil || len(ids) == 0 {
		return
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
