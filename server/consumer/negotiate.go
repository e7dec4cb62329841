package consumer

import (
	"net/http"
	"sort"
	"strconv"
	"strings"
)

// format is what a request asks for.
type format int

const (
	formatHTML format = iota
	formatJSON
	formatLinkset
)

// Media types.
const (
	typeHTML    = "text/html; charset=utf-8"
	typeJSON    = "application/json"
	typeLinkset = "application/linkset+json"
)

// negotiateFormat picks the representation: ?linkType first (GS1 Digital
// Link's way of asking for one link), then the Accept header. A browser's
// Accept ("text/html,…,*/*;q=0.8") gets HTML; "application/json" gets the
// JSON document; "application/linkset+json" the linkset. Ties go to HTML,
// so a bare "*/*" (curl) gets the page a person would.
func negotiateFormat(r *http.Request) format {
	switch linkType := r.URL.Query().Get("linkType"); linkType {
	case "all", "linkset":
		return formatLinkset
	case "gs1:traceability", "https://gs1.org/voc/traceability":
		return formatJSON
	case "gs1:pip", "https://gs1.org/voc/pip", "gs1:defaultLink", "https://gs1.org/voc/defaultLink":
		return formatHTML
	}
	// An unknown linkType gets the default link, as GS1 resolvers do.
	accept := r.Header.Get("Accept")
	if accept == "" {
		return formatHTML
	}
	html := preference(accept, "text", "html")
	json := preference(accept, "application", "json")
	linkset := preference(accept, "application", "linkset+json")
	switch {
	case linkset.over(html) && linkset.over(json) && exactly(accept, "application/linkset+json"):
		return formatLinkset
	case json.over(html):
		return formatJSON
	}
	return formatHTML
}

// pref is how much an Accept header wants a media type: its q-value, and
// how specifically the header named it (2 the type itself, 1 type/*, 0
// */*), which breaks ties: "application/json, */*" wants JSON.
type pref struct {
	q    float64
	spec int
}

func (p pref) over(o pref) bool { return p.q > o.q || (p.q == o.q && p.q > 0 && p.spec > o.spec) }

func preference(accept, typ, sub string) pref {
	q, spec := matchAccept(accept, typ, sub)
	return pref{q, spec}
}

// exactly reports whether accept names media type t itself, so a wildcard
// never selects the linkset.
func exactly(accept, t string) bool {
	for _, part := range strings.Split(accept, ",") {
		mt, _, _ := strings.Cut(part, ";")
		if strings.EqualFold(strings.TrimSpace(mt), t) {
			return true
		}
	}
	return false
}

// quality returns the q-value that an Accept header gives type/subtype,
// using the most specific matching range (RFC 9110 §12.5.1); 0 when none
// matches.
func quality(accept, typ, sub string) float64 {
	q, _ := matchAccept(accept, typ, sub)
	return q
}

// matchAccept returns the q-value of the most specific range of accept
// that matches type/subtype, and its specificity (-1: none matched).
func matchAccept(accept, typ, sub string) (float64, int) {
	best, bestSpec := 0.0, -1
	for _, part := range strings.Split(accept, ",") {
		mt, params, _ := strings.Cut(part, ";")
		mt = strings.ToLower(strings.TrimSpace(mt))
		t, s, ok := strings.Cut(mt, "/")
		if !ok {
			continue
		}
		spec := -1
		switch {
		case t == typ && s == sub:
			spec = 2
		case t == typ && s == "*":
			spec = 1
		case t == "*" && s == "*":
			spec = 0
		}
		if spec < bestSpec || spec < 0 {
			continue
		}
		q := qParam(params)
		if spec > bestSpec || q > best {
			best, bestSpec = q, spec
		}
	}
	return best, bestSpec
}

// qParam reads ";q=0.8" from a range's parameters; 1 when absent or bad.
func qParam(params string) float64 {
	for _, p := range strings.Split(params, ";") {
		k, v, ok := strings.Cut(strings.TrimSpace(p), "=")
		if ok && strings.EqualFold(strings.TrimSpace(k), "q") {
			q, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err != nil || q < 0 || q > 1 {
				return 1
			}
			return q
		}
	}
	return 1
}

// negotiateLang picks the language: ?lang=zh|en first, then the
// Accept-Language header's most preferred of Chinese and English;
// Chinese when neither is asked for.
func negotiateLang(r *http.Request) lang {
	switch strings.ToLower(r.URL.Query().Get("lang")) {
	case "en":
		return en
	case "zh", "zh-cn", "zh-hans":
		return zh
	}
	type pref struct {
		l lang
		q float64
		i int
	}
	var prefs []pref
	for i, part := range strings.Split(r.Header.Get("Accept-Language"), ",") {
		tag, params, _ := strings.Cut(part, ";")
		tag = strings.ToLower(strings.TrimSpace(tag))
		var l lang
		switch {
		case tag == "en" || strings.HasPrefix(tag, "en-"):
			l = en
		case tag == "zh" || strings.HasPrefix(tag, "zh-"):
			l = zh
		default:
			continue
		}
		if q := qParam(params); q > 0 {
			prefs = append(prefs, pref{l, q, i})
		}
	}
	if len(prefs) == 0 {
		return zh
	}
	sort.SliceStable(prefs, func(a, b int) bool { return prefs[a].q > prefs[b].q })
	return prefs[0].l
}

// acceptsGzip reports whether the client takes a gzip-encoded body.
func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		enc, params, _ := strings.Cut(part, ";")
		if strings.EqualFold(strings.TrimSpace(enc), "gzip") {
			return qParam(params) > 0
		}
	}
	return false
}

// etagMatch reports whether an If-None-Match header matches etag. The
// comparison is weak (RFC 9110 §13.1.2): W/ prefixes are ignored.
func etagMatch(header, etag string) bool {
	if header == "" {
		return false
	}
	if strings.TrimSpace(header) == "*" {
		return true
	}
	want := strings.TrimPrefix(etag, "W/")
	for _, t := range strings.Split(header, ",") {
		if strings.TrimPrefix(strings.TrimSpace(t), "W/") == want {
			return true
		}
	}
	return false
}
