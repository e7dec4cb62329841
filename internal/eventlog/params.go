package eventlog

import (
	"math"
	"net/url"
	"strconv"
	"strings"
	"time"

	gs1 "suyuan/internal/epcis"
)

// Page sizes of an EPCIS query.
const (
	DefaultPerPage = 30
	MaxPerPage     = 1000
)

// ParseQuery reads the SimpleEventQuery parameters. A value may list
// alternatives separated by |; a parameter may also be repeated.
func ParseQuery(vals url.Values) (Query, *gs1.Problem) {
	q := Query{PerPage: DefaultPerPage, Match: map[string][]string{}, BizTransactions: map[string][]string{}}
	bad := func(name, why string) (Query, *gs1.Problem) {
		p := gs1.NewProblem(gs1.QueryParameterException, name+": "+why)
		p.Field = name
		return Query{}, p
	}
	for name, raw := range vals {
		var list []string
		for _, v := range raw {
			for _, s := range strings.Split(v, "|") {
				if s = strings.TrimSpace(s); s != "" {
					list = append(list, s)
				}
			}
		}
		if len(list) == 0 {
			return bad(name, "has no value")
		}
		switch {
		case name == "eventType":
			for _, s := range list {
				if !KnownType(gs1.Type(s)) {
					return bad(name, "unknown event type "+s)
				}
				q.EventTypes = append(q.EventTypes, gs1.Type(s))
			}
		case name == "EQ_action":
			for _, s := range list {
				if s != "ADD" && s != "OBSERVE" && s != "DELETE" {
					return bad(name, "action is ADD, OBSERVE or DELETE")
				}
			}
			q.Actions = list
		case name == "EQ_bizStep":
			q.BizSteps = normalised(list, gs1.NormBizStep)
		case name == "EQ_disposition":
			q.Dispositions = normalised(list, gs1.NormDisposition)
		case name == "EQ_readPoint", name == "EQ_bizLocation":
			if p := badKey(name, list); p != nil {
				return Query{}, p
			}
			if name == "EQ_readPoint" {
				q.ReadPoints = canonical(list)
			} else {
				q.BizLocations = canonical(list)
			}
		case name == "EQ_eventID":
			q.EventIDs = list
		case name == "EQ_transformationID":
			q.TransformationIDs = list
		case name == "GE_eventTime", name == "LT_eventTime", name == "GE_recordTime", name == "LT_recordTime":
			if len(list) != 1 {
				return bad(name, "takes one time")
			}
			t, err := time.Parse(time.RFC3339Nano, list[0])
			if err != nil {
				return bad(name, "is not an RFC 3339 time with its offset")
			}
			switch name {
			case "GE_eventTime":
				q.GEEventTime = t
			case "LT_eventTime":
				q.LTEventTime = t
			case "GE_recordTime":
				q.GERecordTime = t
			default:
				q.LTRecordTime = t
			}
		case strings.HasPrefix(name, "MATCH_"):
			param := strings.TrimPrefix(name, "MATCH_")
			if !matchParam(param) {
				return bad(name, "unknown parameter")
			}
			if p := badKey(name, list); p != nil {
				return Query{}, p
			}
			q.Match[param] = append(q.Match[param], canonical(list)...)
		case strings.HasPrefix(name, "EQ_bizTransaction_"):
			typ := strings.TrimPrefix(name, "EQ_bizTransaction_")
			q.BizTransactions[typ] = append(q.BizTransactions[typ], list...)
		case strings.HasPrefix(name, "GE_value_"), strings.HasPrefix(name, "LT_value_"):
			if len(list) != 1 {
				return bad(name, "takes one number")
			}
			f, err := strconv.ParseFloat(list[0], 64)
			if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
				return bad(name, "is not a number")
			}
			if !knownUOM(name[len("GE_value_"):]) {
				return bad(name, "names a unit this service does not convert: CEL, FAH, KEL, or a unit of mass or volume")
			}
			q.Values = append(q.Values, ValueBound{UOM: name[len("GE_value_"):], Value: f, Less: strings.HasPrefix(name, "LT_")})
		case name == "perPage":
			n, err := strconv.Atoi(list[0])
			if err != nil || n < 1 || n > MaxPerPage {
				return bad(name, "is a number from 1 to "+strconv.Itoa(MaxPerPage))
			}
			q.PerPage = n
		case name == "nextPageToken":
			q.After = list[0]
		default:
			return bad(name, "unknown or unsupported query parameter")
		}
	}
	return q, nil
}

// badKey refuses a value written as a GS1 key that is not a valid one (a
// wrong check digit): it can name nothing, and the caller would rather
// know than get an empty page. What is no GS1 key at all is kept as an
// opaque URI.
func badKey(name string, list []string) *gs1.Problem {
	for _, s := range list {
		if strings.HasSuffix(s, "*") {
			continue
		}
		if _, err := gs1.ParseKey(s); err != nil && !gs1.IsNotAKey(err) {
			p := gs1.NewProblem(gs1.QueryParameterException, name+": "+err.Error())
			p.Field = name
			return p
		}
	}
	return nil
}

// knownUOM tells whether sensor values can be compared in uom.
func knownUOM(uom string) bool {
	if _, ok := gs1.Celsius(0, uom); ok {
		return true
	}
	_, ok := gs1.UnitFromUOM(uom)
	return ok
}

// KnownType tells whether t is an EPCIS event type.
func KnownType(t gs1.Type) bool {
	for _, k := range gs1.Types() {
		if k == t {
			return true
		}
	}
	return false
}

func matchParam(p string) bool {
	for _, m := range MatchParams() {
		if m == p {
			return true
		}
	}
	return false
}

func normalised(list []string, norm func(string) string) []string {
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = norm(s)
	}
	return out
}

// canonical writes GS1 keys in the form the log indexes them by, so an
// EPC URN finds events recorded with the Digital Link and the other way
// round.
func canonical(list []string) []string {
	return normalised(list, MatchKey)
}

// MatchKey is the value a MATCH_ parameter looks for: a key in its
// canonical form; a GTIN without a lot or serial stands for every lot and
// instance of the trade item, as a pattern would.
func MatchKey(s string) string {
	if k, err := gs1.ParseKey(s); err == nil && k.Kind == gs1.KindGTIN && !strings.HasSuffix(s, "*") {
		return k.DigitalLink(gs1.DefaultResolver) + "/*"
	}
	return gs1.Canonical(s)
}
