package eventlog

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"suyuan/ent"
	"suyuan/ent/event"
	"suyuan/ent/eventkey"
	"suyuan/ent/predicate"
	"suyuan/internal/epcis"
	"suyuan/internal/quantity"
)

// Query is the EPCIS SimpleEventQuery's parameters this log answers
// (docs/EPCIS.md, "Query"). Lists are alternatives: an event matches a
// parameter when it matches any of its values, and the query when it
// matches every parameter given.
type Query struct {
	EventTypes                 []epcis.Type
	Actions                    []string
	BizSteps, Dispositions     []string
	ReadPoints, BizLocations   []string
	EventIDs                   []string
	TransformationIDs          []string
	GEEventTime, LTEventTime   time.Time
	GERecordTime, LTRecordTime time.Time
	// Match holds the MATCH_ parameters by what they look at: epc,
	// anyEPC, epcClass, anyEPCClass. A value ending in * matches every
	// key it begins.
	Match map[string][]string
	// BizTransactions holds EQ_bizTransaction_TYPE by its type.
	BizTransactions map[string][]string
	// Values holds GE_/LT_value_UOM: sensor reports of UOM's dimension
	// at least GE and below LT, after conversion.
	Values []ValueBound
	// ChangeIDs keeps the events of these changes only (a deliverer
	// asking what one change told).
	ChangeIDs []int
	// PerPage bounds the page; After is the page token of the previous
	// page's last event.
	PerPage int
	After   string
}

// ValueBound is a bound on sensor report values in a unit.
type ValueBound struct {
	UOM   string
	Value float64
	Less  bool // LT_value: below; else GE_value: at least
}

// keyKinds is what each MATCH_ parameter looks at.
func keyKinds(param string) []string {
	switch param {
	case "epc":
		return []string{KindEPC, KindChild}
	case "anyEPC":
		return []string{KindEPC, KindChild, KindParent, KindInput, KindOutput}
	case "epcClass":
		return []string{KindClass, KindChildClass}
	case "anyEPCClass":
		return []string{KindClass, KindChildClass, KindInputClass, KindOutputClass}
	}
	return nil
}

// MatchParams lists the MATCH_ parameters Query.Match takes.
func MatchParams() []string { return []string{"epc", "anyEPC", "epcClass", "anyEPCClass"} }

// Page is a page of events, as their EPCIS JSON, in the order they were
// recorded.
type Page struct {
	Events []json.RawMessage
	// Next is the token of the next page, empty on the last.
	Next string
}

// maxScan bounds the rows one page reads while filtering sensor values,
// which the database cannot: a page may come back short with a next
// token rather than read the whole log.
const maxScan = 5000

// Find answers q with the events the viewer in ctx may read (the Event
// policy of internal/tenancy).
func (l *Log) Find(ctx context.Context, q Query) (*Page, error) {
	after, err := decodeToken(q.After)
	if err != nil {
		return nil, err
	}
	ps := []predicate.Event{event.IDGT(after)}
	if len(q.EventTypes) > 0 {
		ts := make([]event.Type, len(q.EventTypes))
		for i, t := range q.EventTypes {
			ts[i] = event.Type(t)
		}
		ps = append(ps, event.TypeIn(ts...))
	}
	for _, c := range []struct {
		vals []string
		in   func(...string) predicate.Event
	}{
		{q.Actions, event.ActionIn}, {q.BizSteps, event.BizStepIn}, {q.Dispositions, event.DispositionIn},
		{q.ReadPoints, event.ReadPointIn}, {q.BizLocations, event.BizLocationIn}, {q.EventIDs, event.EventIDIn},
	} {
		if len(c.vals) > 0 {
			ps = append(ps, c.in(c.vals...))
		}
	}
	for _, c := range []struct {
		t time.Time
		p func(time.Time) predicate.Event
	}{
		{q.GEEventTime, event.EventTimeGTE}, {q.LTEventTime, event.EventTimeLT},
		{q.GERecordTime, event.RecordTimeGTE}, {q.LTRecordTime, event.RecordTimeLT},
	} {
		if !c.t.IsZero() {
			ps = append(ps, c.p(c.t.UTC()))
		}
	}
	if len(q.ChangeIDs) > 0 {
		ps = append(ps, event.ChangeIDIn(q.ChangeIDs...))
	}
	for param, vals := range q.Match {
		ps = append(ps, keyed(keyKinds(param), vals))
	}
	if len(q.TransformationIDs) > 0 {
		ps = append(ps, keyed([]string{KindTransformation}, q.TransformationIDs))
	}
	for typ, vals := range q.BizTransactions {
		ps = append(ps, keyed([]string{KindBizTxPrefix + typ}, vals))
	}
	per := q.PerPage
	page := &Page{}
	last := after
	for scanned := 0; len(page.Events) < per && scanned < maxScan; {
		rows, err := l.client.Event.Query().Where(append(ps, event.IDGT(last))...).
			Order(ent.Asc(event.FieldID)).Limit(per+1).
			Select(event.FieldID, event.FieldBody).All(ctx)
		if err != nil {
			return nil, fmt.Errorf("querying events: %w", err)
		}
		for _, r := range rows {
			if len(page.Events) == per {
				page.Next = encodeToken(last)
				return page, nil
			}
			last = r.ID
			scanned++
			if len(q.Values) > 0 && !withinValues(r.Body, q.Values) {
				continue
			}
			page.Events = append(page.Events, json.RawMessage(r.Body))
		}
		if len(rows) <= per {
			return page, nil // the log holds no more
		}
	}
	page.Next = encodeToken(last)
	return page, nil
}

// keyed is "the event has a key of one of kinds with one of values";
// a value ending in * matches the keys it begins.
func keyed(kinds, values []string) predicate.Event {
	var exact []string
	var ors []predicate.EventKey
	for _, v := range values {
		if prefix, ok := strings.CutSuffix(v, "*"); ok {
			// A long value is held cut (Indexed): its beginning is all a
			// prefix can match.
			if cut := ValueMaxLen - 17; len(prefix) > cut {
				prefix = strings.ToValidUTF8(prefix[:cut], "")
			}
			ors = append(ors, eventkey.ValueHasPrefix(prefix))
		} else {
			exact = append(exact, Indexed(v, ValueMaxLen))
		}
	}
	if len(exact) > 0 {
		ors = append(ors, eventkey.ValueIn(exact...))
	}
	indexedKinds := make([]string, len(kinds))
	for i, k := range kinds {
		indexedKinds[i] = Indexed(k, KindMaxLen)
	}
	return event.HasKeysWith(eventkey.KindIn(indexedKinds...), eventkey.Or(ors...))
}

// withinValues tells whether an event's sensor reports hold a value
// within every bound, converted to the bound's unit.
func withinValues(body string, bounds []ValueBound) bool {
	var e epcis.Event
	if json.Unmarshal([]byte(body), &e) != nil {
		return false
	}
	for _, b := range bounds {
		found := false
		for _, el := range e.SensorElementList {
			for _, r := range el.SensorReport {
				if r.Value == nil {
					continue
				}
				v, ok := convert(*r.Value, r.UOM, b.UOM)
				if ok && ((b.Less && v < b.Value) || (!b.Less && v >= b.Value)) {
					found = true
				}
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// convert converts a sensor value between units of one dimension: the
// temperatures, and the graph's units of mass and volume.
func convert(v float64, from, to string) (float64, bool) {
	if from == to {
		return v, true
	}
	if c, ok := epcis.Celsius(v, from); ok {
		switch to {
		case "CEL":
			return c, true
		case "FAH":
			return c*9/5 + 32, true
		case "KEL":
			return c + 273.15, true
		}
		return 0, false
	}
	fu, ok1 := epcis.UnitFromUOM(from)
	tu, ok2 := epcis.UnitFromUOM(to)
	if !ok1 || !ok2 {
		return 0, false
	}
	out, err := quantity.Convert(v, fu, tu)
	return out, err == nil
}

func encodeToken(id int) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.Itoa(id)))
}

// decodeToken reads a page token; a token this log did not give is a
// client's mistake.
func decodeToken(s string) (int, error) {
	if s == "" {
		return 0, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err == nil {
		if id, err := strconv.Atoi(string(b)); err == nil && id >= 0 {
			return id, nil
		}
	}
	return 0, ErrBadToken
}

// ErrBadToken is a page token the log did not give.
var ErrBadToken = errors.New("nextPageToken is not one this server gave")
