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

// Follow publishes the alerts each change of log raised: this server's at
// once, other servers' as the log's follower reads them. Only this
// server's own are counted (CountWith), so that the servers' counts add
// up.
func (b *Broker) Follow(log *eventlog.Log, client *ent.Client) {
	log.Bus().Subscribe(func(c *eventlog.Change) {
		ids := c.RaisedAlerts()
		if len(ids) == 0 {
			return
		}
		// Bus subscribers are told after the change committed, with no
		// request to bound them: a read that hangs must not.
		ctx, cancel := context.WithTimeout(context.Background(), publishTimeout)
		defer cancel()
		b.publish(ctx, client, ids, c.Origin == log.Origin())
	})
}

// publishTimeout bounds the read of the alerts a change raised.
const publishTimeout = 5 * time.Second

// CountWith has f told the kind of every alert this server raises from
// now on — by a recording, a recall or the screener: each is published
// once its change commits (Follow), so f counts them all.
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

// publish hands the alerts with ids, raised in a transaction that has
// committed, to the subscribers that want them, counting them when own.
// They are read first: a subscriber asks for their edges.
func (b *Broker) publish(ctx context.Context, client *ent.Client, ids []int, own bool) {
	alerts, err := client.Alert.Query().Where(alert.IDIn(ids...)).Order(ent.Asc(alert.FieldID)).All(tenancy.System(ctx))
	if err != nil {
		// The alerts are stored; subscribers will see them when they list.
		reqlog.Logger(ctx).Warn("publishing alerts", "error", err.Error())
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if own && b.count != nil {
		for _, a := range alerts {
			b.count(string(a.Kind))
		}
	}
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
