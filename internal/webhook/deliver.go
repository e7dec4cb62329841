package webhook

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"suyuan/ent"
	"suyuan/ent/webhookdelivery"
	"suyuan/internal/eventlog"
	"suyuan/internal/lease"
	"suyuan/internal/store"
	"suyuan/internal/tenancy"
)

// Options tune a Deliverer; zero values take the defaults.
type Options struct {
	// MaxAttempts is how often a delivery is tried before it is DEAD.
	MaxAttempts int
	// Timeout bounds one attempt, connection and answer included.
	Timeout time.Duration
	// Backoff is the wait after a first failure; it doubles with each
	// further failure up to MaxBackoff.
	Backoff, MaxBackoff time.Duration
	// Parallel is how many webhooks are sent to at once.
	Parallel int
	// Retention is how long delivered deliveries stay in the delivery
	// log; dead ones stay until replayed or their webhook is deleted.
	Retention time.Duration
	// Guard decides where deliveries may go.
	Guard *Guard
	// Observe is told of each attempt's result ("delivered", "failed",
	// "dead"), for metrics; nil tells nothing.
	Observe func(result string)
}

// Defaults of Options.
const (
	DefaultMaxAttempts = 10
	DefaultTimeout     = 10 * time.Second
	DefaultBackoff     = 5 * time.Second
	DefaultMaxBackoff  = time.Hour
	DefaultParallel    = 8
	DefaultRetention   = 30 * 24 * time.Hour
)

// pruneEvery is how often delivered deliveries past Retention are
// deleted.
const pruneEvery = time.Hour

func (o *Options) setDefaults() {
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = DefaultMaxAttempts
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.Backoff <= 0 {
		o.Backoff = DefaultBackoff
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = DefaultMaxBackoff
	}
	if o.Parallel <= 0 {
		o.Parallel = DefaultParallel
	}
	if o.Retention <= 0 {
		o.Retention = DefaultRetention
	}
	if o.Guard == nil {
		o.Guard = &Guard{Production: true}
	}
}

// Deliverer follows the outbox and sends what it tells webhooks. Of the
// servers sharing a database one delivers at a time (package lease); the
// deliveries and the outbox position are in the database, so another
// takes over where one stopped or died.
type Deliverer struct {
	client *ent.Client
	log    *eventlog.Log
	opts   Options
	lease  *lease.Lease
	httpc  *http.Client
	disp   dispatcher
	wake   chan struct{}
	pruned time.Time // when delivered deliveries were last pruned

	mu        sync.Mutex
	inflight  map[int]bool // webhooks with an attempt under way
	sending   sync.WaitGroup
	successes atomic.Int64
}

// NewDeliverer returns a deliverer of the webhooks of client, following
// log's outbox. dialect is the database's, for the lease.
func NewDeliverer(client *ent.Client, log *eventlog.Log, dialect string, opts Options) *Deliverer {
	opts.setDefaults()
	d := &Deliverer{
		client:   client,
		log:      log,
		opts:     opts,
		lease:    lease.New(client, dialect, "webhooks"),
		disp:     dispatcher{client: client, log: log},
		wake:     make(chan struct{}, 1),
		inflight: map[int]bool{},
	}
	d.httpc = &http.Client{
		Timeout: opts.Timeout,
		// A redirect is not followed: it could lead anywhere, the
		// guarded addresses included. The receiver answers where it is.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Transport:     transport(opts.Guard, opts.Timeout),
	}
	// This server's own changes wake the deliverer at once; other
	// servers' are found by polling.
	log.Bus().Subscribe(func(*eventlog.Change) { d.poke() })
	return d
}

// poke wakes Run for another round.
func (d *Deliverer) poke() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// Run delivers until ctx ends, polling every interval (and at once after
// this server's own recordings). Failures are logged, never fatal: the
// database or a receiver may be away for a while.
func (d *Deliverer) Run(ctx context.Context, every time.Duration) {
	defer d.lease.Release(ctx)
	defer d.sending.Wait()
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if err := d.step(ctx); err != nil && ctx.Err() == nil {
			slog.WarnContext(ctx, "delivering webhooks", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-d.wake:
		}
	}
}

// Step does one round if this server holds the lease: it turns the
// outbox's new changes into deliveries, then sends every due delivery
// that heads its webhook's queue, waiting for the attempts (and again
// while some succeed).
func (d *Deliverer) Step(ctx context.Context) error {
	for {
		if err := d.step(ctx); err != nil {
			return err
		}
		before := d.delivered()
		d.sending.Wait()
		if d.delivered() == before {
			return d.prune(ctx, true)
		}
	}
}

// step dispatches and starts the due attempts without waiting for them:
// a receiver that hangs holds up its own webhook's queue, never the
// others'. Each attempt wakes Run when it ends, for its queue's next.
func (d *Deliverer) step(ctx context.Context) error {
	held, err := d.lease.Held(ctx)
	if err != nil || !held {
		return err
	}
	for {
		n, err := d.disp.poll(ctx)
		if err != nil {
			return err
		}
		if n < changesPerPoll {
			break
		}
	}
	if err := d.send(ctx); err != nil {
		return err
	}
	return d.prune(ctx, false)
}

// prune deletes, once in a while, the delivered deliveries older than
// Retention: the delivery log would otherwise grow with every change.
func (d *Deliverer) prune(ctx context.Context, now bool) error {
	at := d.log.Now()
	if !now && at.Sub(d.pruned) < pruneEvery {
		return nil
	}
	_, err := d.client.WebhookDelivery.Delete().Where(webhookdelivery.StatusEQ(webhookdelivery.StatusDELIVERED),
		webhookdelivery.DeliveredAtLT(at.Add(-d.opts.Retention).UTC())).Exec(store.Uncounted(tenancy.System(ctx)))
	if err != nil {
		return fmt.Errorf("pruning the delivery log: %w", err)
	}
	d.pruned = at
	return nil
}

// Dispatch turns the outbox's new changes into deliveries without
// sending them (a deliverer that stops before it sends, in tests).
func (d *Deliverer) Dispatch(ctx context.Context) error {
	_, err := d.disp.poll(ctx)
	return err
}

// send starts an attempt of the due delivery at the head of each
// webhook's queue that has none under way.
func (d *Deliverer) send(ctx context.Context) error {
	sys := store.Uncounted(tenancy.System(ctx))
	var heads []struct {
		WebhookID int `json:"webhook_id"`
		Min       int `json:"min"`
	}
	err := d.client.WebhookDelivery.Query().Where(webhookdelivery.StatusEQ(webhookdelivery.StatusPENDING)).
		GroupBy(webhookdelivery.FieldWebhookID).Aggregate(ent.Min(webhookdelivery.FieldID)).Scan(sys, &heads)
	if err != nil {
		return fmt.Errorf("reading pending deliveries: %w", err)
	}
	if len(heads) == 0 {
		return nil
	}
	ids := make([]int, len(heads))
	for i, h := range heads {
		ids[i] = h.Min
	}
	due, err := d.client.WebhookDelivery.Query().
		Where(webhookdelivery.IDIn(ids...), webhookdelivery.NextAttemptAtLTE(d.log.Now().UTC())).
		WithWebhook().Order(ent.Asc(webhookdelivery.FieldID)).All(sys)
	if err != nil {
		return fmt.Errorf("reading due deliveries: %w", err)
	}
	for _, dl := range due {
		if !dl.Edges.Webhook.Active {
			continue // paused: its queue waits
		}
		d.mu.Lock()
		busy := d.inflight[dl.WebhookID] || len(d.inflight) >= d.opts.Parallel
		if !busy {
			d.inflight[dl.WebhookID] = true
		}
		d.mu.Unlock()
		if busy {
			continue // its attempt under way ends with a wake
		}
		d.sending.Go(func() {
			defer d.poke()
			defer func() {
				d.mu.Lock()
				delete(d.inflight, dl.WebhookID)
				d.mu.Unlock()
			}()
			// The attempt outlives the round that started it, not the
			// deliverer: Run waits for it before it returns.
			actx := store.Uncounted(tenancy.System(context.WithoutCancel(ctx)))
			// The round read dl before it took its webhook's turn: an
			// attempt that ended in between may have delivered it, or
			// counted a failure and put it off. Now that no other attempt
			// of its webhook runs, read it again.
			fresh, err := d.client.WebhookDelivery.Query().
				Where(webhookdelivery.ID(dl.ID), webhookdelivery.StatusEQ(webhookdelivery.StatusPENDING),
					webhookdelivery.NextAttemptAtLTE(d.log.Now().UTC())).
				WithWebhook().Only(actx)
			switch {
			case ent.IsNotFound(err):
				return
			case err != nil:
				slog.WarnContext(ctx, "delivering webhooks", "err", fmt.Errorf("reading delivery %d: %w", dl.ID, err))
				return
			case !fresh.Edges.Webhook.Active:
				return // paused meanwhile
			}
			if _, err := d.attempt(actx, fresh); err != nil {
				slog.WarnContext(ctx, "delivering webhooks", "err", err)
			}
		})
	}
	return nil
}

// delivered counts this deliverer's successful attempts.
func (d *Deliverer) delivered() int64 { return d.successes.Load() }

// attempt sends one delivery and records how it went.
func (d *Deliverer) attempt(ctx context.Context, dl *ent.WebhookDelivery) (bool, error) {
	h := dl.Edges.Webhook
	status, failure := d.post(ctx, h, dl)
	now := d.log.Now().UTC()
	up := d.client.WebhookDelivery.UpdateOneID(dl.ID).SetAttempts(dl.Attempts + 1).SetLastAttemptAt(now)
	if status != 0 {
		up.SetResponseStatus(status)
	}
	result := "delivered"
	switch {
	case failure == "":
		up.SetStatus(webhookdelivery.StatusDELIVERED).SetDeliveredAt(now).SetLastError("")
	case dl.Attempts+1 >= d.opts.MaxAttempts:
		result = "dead"
		up.SetStatus(webhookdelivery.StatusDEAD).SetLastError(failure)
	default:
		result = "failed"
		up.SetNextAttemptAt(now.Add(d.backoff(dl.Attempts + 1))).SetLastError(failure)
	}
	if err := up.Exec(ctx); err != nil && !ent.IsNotFound(err) { // not found: deleted with its webhook meanwhile
		return false, fmt.Errorf("recording delivery %d: %w", dl.ID, err)
	}
	if d.opts.Observe != nil {
		d.opts.Observe(result)
	}
	if failure == "" {
		d.successes.Add(1)
	}
	return failure == "", nil
}

// post sends a delivery and returns the answer's status and, when it
// failed, why, in a line for the delivery log.
func (d *Deliverer) post(ctx context.Context, h *ent.Webhook, dl *ent.WebhookDelivery) (int, string) {
	ctx, cancel := context.WithTimeout(ctx, d.opts.Timeout)
	defer cancel()
	body := []byte(dl.Payload)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.URL, bytes.NewReader(body))
	if err != nil {
		return 0, "the URL cannot be requested: " + err.Error()
	}
	req.Header.Set("User-Agent", "Suyuan-Webhook/1")
	req.Header.Set("Suyuan-Webhook", strconv.Itoa(h.ID))
	req.Header.Set("Suyuan-Delivery", strconv.Itoa(dl.ID))
	req.Header.Set("Suyuan-Topic", string(dl.Topic))
	sig := ""
	if len(h.Secret) > 0 {
		sig = Sign(h.Secret, d.log.Now(), body)
	}
	if h.SubscriptionID != nil {
		req.Header.Set("Content-Type", "application/ld+json")
		req.Header.Set("GS1-EPCIS-Version", "2.0.0")
		req.Header.Set("GS1-CBV-Version", "2.0.0")
		if sig != "" {
			req.Header.Set("GS1-Signature", sig)
		}
	} else {
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set(SignatureHeader, sig)
	}
	resp, err := d.httpc.Do(req)
	if err != nil {
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			return 0, "no answer within " + d.opts.Timeout.String()
		}
		return 0, "not delivered: " + err.Error()
	}
	defer resp.Body.Close()
	// Read a little of the answer so the connection can be kept, never
	// more: the receiver's answer is not ours to store.
	io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10))
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		return resp.StatusCode, ""
	case resp.StatusCode >= 300 && resp.StatusCode < 400:
		return resp.StatusCode, "answered a redirect, which is not followed; register the address it names"
	}
	return resp.StatusCode, "answered " + resp.Status
}

// backoff is the wait after the n-th failure: Backoff doubled n-1 times,
// at most MaxBackoff, plus up to a tenth more so that receivers that fail
// together are not retried together.
func (d *Deliverer) backoff(n int) time.Duration {
	w := d.opts.Backoff
	for i := 1; i < n && w < d.opts.MaxBackoff; i++ {
		w *= 2
	}
	w = min(w, d.opts.MaxBackoff)
	return w + rand.N(w/10+1)
}

// transport dials through the guard: the resolved address of each
// connection is checked, so no name resolves its way past it. The
// address dialled is the URL's own (no proxy, which would dial for us).
func transport(g *Guard, timeout time.Duration) *http.Transport {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.Proxy = nil
	tr.MaxIdleConnsPerHost = 2
	tr.ResponseHeaderTimeout = timeout
	tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		host, _, err := net.SplitHostPort(addr)
		if err != nil {
			return nil, fmt.Errorf("webhook: dialling %s: %w", addr, err)
		}
		d := &net.Dialer{Timeout: timeout, Control: g.control(host)}
		return d.DialContext(ctx, network, addr)
	}
	return tr
}
