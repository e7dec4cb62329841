package eventlog

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"suyuan/ent"
	"suyuan/ent/event"
	"suyuan/ent/eventkey"
	"suyuan/internal/epcis"
	"suyuan/internal/errcode"
	"suyuan/internal/store"
	"suyuan/internal/tenancy"
	"suyuan/internal/viewer"
)

// Change is a committed recording as the outbox tells it.
type Change struct {
	ID        int
	Operation string
	Origin    string
	OrgID     int // 0: the service's own work
	Refs      []string
	EventIDs  []string
	// Duplicates are the eventIDs of events the log already held, which
	// this recording did not append again.
	Duplicates []string
	// After is the primary's position once the change had committed,
	// when the log tracks positions (read replicas are in use): a
	// replica at or past it shows the change.
	After store.Position
}

// keyRows and eventRows bound the rows of one bulk insert (and the
// values of one IN list), well below the placeholder limits of SQLite
// (32,766) and MySQL (65,535): a key has three columns, an event about
// fifteen.
const (
	keyRows   = 1000
	eventRows = 500
)

// append writes rec's change, events and keys in tx. An event whose
// eventID the log already holds is not appended again: the same fact
// captured twice is stored once.
func (l *Log) append(ctx context.Context, tx *ent.Tx, v *viewer.Viewer, rec *Recording) (*Change, error) {
	now := l.now().UTC()
	ch := &Change{Operation: rec.op, Origin: l.origin, OrgID: v.OrgID, Refs: rec.refs}
	if ch.Refs == nil {
		ch.Refs = []string{}
	}
	// given are the eventIDs the recording brought, which the log may hold
	// already; the ones made here are new by construction and need no look.
	given := make([]string, 0, len(rec.events))
	for i := range rec.events {
		e := &rec.events[i].e
		if e.EventID != "" {
			given = append(given, e.EventID)
		} else {
			// The service's own recordings are each a fact of their own,
			// even when two say the same (two equal shelvings at one
			// instant): a random id, where a partner's event without one
			// is named by its content hash before it comes here, so that
			// capturing it twice stores it once.
			e.EventID = newUUID()
		}
	}
	held := map[string]bool{}
	for start := 0; start < len(given); start += eventRows {
		old, err := tx.Event.Query().Where(event.EventIDIn(given[start:min(start+eventRows, len(given))]...)).
			Select(event.FieldEventID).Strings(ctx)
		if err != nil {
			return nil, fmt.Errorf("finding events already logged: %w", err)
		}
		for _, id := range old {
			held[id] = true
		}
	}
	if err := partyToHeld(ctx, tx, v, held); err != nil {
		return nil, err
	}
	c := tx.Change.Create().SetOperation(rec.op).SetOrigin(l.origin).SetRefs(ch.Refs).SetRecordedAt(now)
	if v.OrgID != 0 {
		c.SetOrganizationID(v.OrgID)
	}
	row, err := c.Save(ctx)
	if err != nil {
		return nil, fmt.Errorf("writing change: %w", err)
	}
	ch.ID = row.ID
	var creates []*ent.EventCreate
	var fresh []*pending
	for i := range rec.events {
		p := &rec.events[i]
		if held[p.e.EventID] {
			ch.Duplicates = append(ch.Duplicates, p.e.EventID)
			continue
		}
		held[p.e.EventID] = true // twice in one recording: once
		p.e.RecordTime = &now
		body, err := json.Marshal(&p.e)
		if err != nil {
			return nil, fmt.Errorf("encoding event %d: %w", i, err)
		}
		creates = append(creates, tx.Event.Create().
			SetEventID(p.e.EventID).SetChangeID(ch.ID).
			SetType(event.Type(p.e.Type)).SetAction(string(p.e.Action)).
			SetBizStep(p.e.BizStep).SetDisposition(p.e.Disposition).
			SetReadPoint(locationID(p.e.ReadPoint)).SetBizLocation(locationID(p.e.BizLocation)).
			SetEventTime(p.e.EventTime.UTC()).SetEventTimeZoneOffset(p.e.EventTimeZoneOffset).
			SetRecordTime(now).SetErrorDeclared(p.e.ErrorDeclaration != nil).
			SetBody(string(body)))
		fresh = append(fresh, p)
		ch.EventIDs = append(ch.EventIDs, p.e.EventID)
	}
	if len(creates) == 0 {
		return ch, nil
	}
	events := make([]*ent.Event, 0, len(creates))
	for start := 0; start < len(creates); start += eventRows {
		saved, err := tx.Event.CreateBulk(creates[start:min(start+eventRows, len(creates))]...).Save(ctx)
		if err != nil {
			return nil, fmt.Errorf("appending events: %w", err)
		}
		store.BulkIDs(tx.IDStep, saved, func(e *ent.Event) *int { return &e.ID })
		events = append(events, saved...)
	}
	var keys []*ent.EventKeyCreate
	for i, e := range events {
		for _, k := range Keys(&fresh[i].e, fresh[i].parties, fresh[i].regions) {
			keys = append(keys, tx.EventKey.Create().SetEventID(e.ID).SetKind(k.Kind).SetValue(k.Value))
		}
	}
	for start := 0; start < len(keys); start += keyRows {
		if err := tx.EventKey.CreateBulk(keys[start:min(start+keyRows, len(keys))]...).Exec(ctx); err != nil {
			return nil, fmt.Errorf("indexing events: %w", err)
		}
	}
	return ch, nil
}

// partyToHeld refuses a recording that names, by their eventIDs, events
// the log holds that its organisation is not party to: an eventID is one
// fact's, and another party's fact is not the caller's to repeat (nor to
// learn of by trying).
func partyToHeld(ctx context.Context, tx *ent.Tx, v *viewer.Viewer, held map[string]bool) error {
	if len(held) == 0 || v.Role == viewer.Admin {
		return nil
	}
	ids := make([]string, 0, len(held))
	for id := range held {
		ids = append(ids, id)
	}
	mine := map[string]bool{}
	for start := 0; start < len(ids); start += eventRows {
		got, err := tx.Event.Query().
			Where(event.EventIDIn(ids[start:min(start+eventRows, len(ids))]...),
				event.HasKeysWith(eventkey.Kind(KindParty), eventkey.Value(strconv.Itoa(v.OrgID)))).
			Select(event.FieldEventID).Strings(ctx)
		if err != nil {
			return fmt.Errorf("checking events already logged: %w", err)
		}
		for _, id := range got {
			mine[id] = true
		}
	}
	for _, id := range ids {
		if !mine[id] {
			return errcode.Field(errcode.Conflict, "eventID", "eventID %s names an event another party recorded; give this event its own", id)
		}
	}
	return nil
}

// locationID is the location's column value: canonical, so that a query
// by the location's URN or Digital Link finds it.
func locationID(l *epcis.Location) string {
	if l == nil {
		return ""
	}
	return epcis.Canonical(l.ID)
}

// The columns of the event index: kind and value are cut to these lengths
// (in bytes), as Indexed writes them.
const (
	KindMaxLen  = 32
	ValueMaxLen = 191
)

// Indexed is s as the event index holds it: s itself when it fits in max
// bytes, else its beginning, a ~ and 16 hex digits of its SHA-256, so that
// a private business-transaction type or a long URI, which EPCIS allows,
// is still indexed and found by its whole text.
func Indexed(s string, max int) string {
	if len(s) <= max {
		return s
	}
	sum := sha256.Sum256([]byte(s))
	return strings.ToValidUTF8(s[:max-17], "") + "~" + hex.EncodeToString(sum[:8])
}

// Key is one entry of an event's index.
type Key struct {
	Kind, Value string
}

// Key kinds. The EPCIS query's MATCH_ parameters look up the what-kinds,
// EQ_bizTransaction_TYPE the bt: kind, the visibility rule party and
// region.
const (
	KindEPC               = "epc"
	KindParent            = "parent"
	KindChild             = "child"
	KindInput             = "input"
	KindOutput            = "output"
	KindClass             = "class"
	KindChildClass        = "child_class"
	KindInputClass        = "input_class"
	KindOutputClass       = "output_class"
	KindParty             = tenancy.EventPartyKey
	KindRegion            = tenancy.EventRegionKey
	KindTransformation    = "transformation"
	KindBizTxPrefix       = "bt:"
	KindSourcePrefix      = "source:"
	KindDestinationPrefix = "destination:"
)

// Keys lists what indexes e: its EPCs, classes, parent, business
// transactions, sources and destinations, and the parties and regions
// that decide who may read it. GS1 keys are indexed in their canonical
// form (epcis.Canonical). Each key is listed once.
func Keys(e *epcis.Event, parties []int, regions []string) []Key {
	var ks []Key
	seen := map[Key]bool{}
	add := func(kind, value string) {
		if value == "" {
			return
		}
		if kind != KindParty && kind != KindRegion && kind != KindTransformation {
			value = epcis.Canonical(value)
		}
		k := Key{Indexed(kind, KindMaxLen), Indexed(value, ValueMaxLen)}
		if !seen[k] {
			seen[k] = true
			ks = append(ks, k)
		}
	}
	for _, s := range e.EPCList {
		add(KindEPC, s)
	}
	add(KindParent, e.ParentID)
	for _, s := range e.ChildEPCs {
		add(KindChild, s)
	}
	for _, s := range e.InputEPCList {
		add(KindInput, s)
	}
	for _, s := range e.OutputEPCList {
		add(KindOutput, s)
	}
	for _, q := range e.QuantityList {
		add(KindClass, q.EPCClass)
	}
	for _, q := range e.ChildQuantityList {
		add(KindChildClass, q.EPCClass)
	}
	for _, q := range e.InputQuantityList {
		add(KindInputClass, q.EPCClass)
	}
	for _, q := range e.OutputQuantityList {
		add(KindOutputClass, q.EPCClass)
	}
	add(KindTransformation, e.TransformationID)
	for _, bt := range e.BizTransactionList {
		add(KindBizTxPrefix+bt.Type, bt.BizTransaction)
	}
	for _, s := range e.SourceList {
		add(KindSourcePrefix+s.Type, s.Source)
	}
	for _, d := range e.DestinationList {
		add(KindDestinationPrefix+d.Type, d.Destination)
	}
	for _, p := range parties {
		if p != 0 {
			add(KindParty, strconv.Itoa(p))
		}
	}
	for _, r := range regions {
		add(KindRegion, r)
	}
	return ks
}

// newUUID returns a random (version 4) UUID URN.
func newUUID() string {
	var b [16]byte
	rand.Read(b[:]) // never fails: crypto/rand panics rather than return an error
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("urn:uuid:%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
