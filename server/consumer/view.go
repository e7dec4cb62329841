package consumer

import (
	"fmt"
	"html/template"
	"strconv"
	"time"

	"suyuan/ent/batch"
	"suyuan/ent/inspection"
	"suyuan/internal/gs1"
	"suyuan/internal/trace"
)

// SchemaVersion names the JSON document's shape. It changes only when a
// field is removed or changes meaning; new fields may be added within a
// version. See docs/CONSUMER.md.
const SchemaVersion = "suyuan.trace/v1"

// links are the absolute URLs of one code's resources.
type links struct {
	Page    string `json:"page"`
	Data    string `json:"data"`
	Linkset string `json:"linkset"`
	QRPNG   string `json:"qrPng"`
	QRSVG   string `json:"qrSvg"`
	// DigitalLink is the item's or batch's GS1 Digital Link, when its
	// product has a GTIN.
	DigitalLink string `json:"digitalLink,omitempty"`
}

// The JSON document. Field names are lower camel case; times are RFC 3339
// in UTC; absent optional values are null, except that a private
// facility's name, address, GLN and organisation are left out.
type (
	document struct {
		Schema      string        `json:"schema"`
		Lang        lang          `json:"lang"`
		Code        string        `json:"code"`
		Serial      *string       `json:"serial"`
		Links       links         `json:"links"`
		Recalled    bool          `json:"recalled"`
		Warnings    []docWarning  `json:"warnings"`
		Product     docProduct    `json:"product"`
		Producer    docOrg        `json:"producer"`
		Batch       docBatch      `json:"batch"`
		Inspections []docInspect  `json:"inspections"`
		Journey     []docLeg      `json:"journey"`
		Shelf       []docShelf    `json:"shelf"`
		Ingredients []docIngrednt `json:"ingredients"`

		// Certificates says which certificates are on file, never their
		// content or where they are served.
		Certificates []docCert `json:"certificates"`
	}
	docWarning struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	}
	docProduct struct {
		Name          string   `json:"name"`
		Category      string   `json:"category"`
		Gtin          *string  `json:"gtin"`
		Unit          string   `json:"unit"`
		ShelfLifeDays *int     `json:"shelfLifeDays"`
		StorageMinC   *float64 `json:"storageMinC"`
		StorageMaxC   *float64 `json:"storageMaxC"`
	}
	docOrg struct {
		Name       string  `json:"name"`
		Kind       string  `json:"kind"`
		RegionCode string  `json:"regionCode"`
		LicenseNo  *string `json:"licenseNo"`
	}
	docFacility struct {
		Public       bool    `json:"public"`
		Kind         string  `json:"kind"`
		RegionCode   string  `json:"regionCode"`
		Name         string  `json:"name,omitempty"`
		Address      string  `json:"address,omitempty"`
		Gln          *string `json:"gln,omitempty"`
		Organization *docOrg `json:"organization,omitempty"`
	}
	docBatch struct {
		LotCode    string      `json:"lotCode"`
		Status     string      `json:"status"`
		ProducedAt string      `json:"producedAt"`
		ExpiresAt  *string     `json:"expiresAt"`
		Expired    bool        `json:"expired"`
		Quantity   float64     `json:"quantity"`
		Unit       string      `json:"unit"`
		Facility   docFacility `json:"facility"`
	}
	docInspect struct {
		InspectedAt   string       `json:"inspectedAt"`
		Result        string       `json:"result"`
		CertificateNo string       `json:"certificateNo"`
		Lab           docOrg       `json:"lab"`
		Measurements  []docMeasure `json:"measurements"`
	}
	docCert struct {
		Kind       string `json:"kind"`
		UploadedAt string `json:"uploadedAt"`
	}
	docMeasure struct {
		Name         string   `json:"name"`
		Value        float64  `json:"value"`
		Unit         string   `json:"unit"`
		LimitMin     *float64 `json:"limitMin"`
		LimitMax     *float64 `json:"limitMax"`
		WithinLimits bool     `json:"withinLimits"`
	}
	docLeg struct {
		Status     string       `json:"status"`
		DepartedAt *string      `json:"departedAt"`
		ArrivedAt  *string      `json:"arrivedAt"`
		From       docFacility  `json:"from"`
		To         docFacility  `json:"to"`
		Carrier    docOrg       `json:"carrier"`
		Quantity   float64      `json:"quantity"`
		Unit       string       `json:"unit"`
		ColdChain  docColdChain `json:"coldChain"`
	}
	docColdChain struct {
		Verdict           string   `json:"verdict"`
		Readings          int      `json:"readings"`
		MinC              *float64 `json:"minC"`
		MaxC              *float64 `json:"maxC"`
		RequiredMinC      *float64 `json:"requiredMinC"`
		RequiredMaxC      *float64 `json:"requiredMaxC"`
		Breaches          []string `json:"breaches"`
		MinutesOutOfRange float64  `json:"minutesOutOfRange"`
	}
	docShelf struct {
		Store         docFacility `json:"store"`
		ShelvedAt     string      `json:"shelvedAt"`
		RemovedAt     *string     `json:"removedAt"`
		RemovalReason *string     `json:"removalReason"`
		Quantity      float64     `json:"quantity"`
		Unit          string      `json:"unit"`
	}
	// docIngrednt is an input batch, with the inputs it was made from in
	// turn (at most three levels in all). A batch used twice appears twice.
	docIngrednt struct {
		LotCode     string        `json:"lotCode"`
		Status      string        `json:"status"`
		Recalled    bool          `json:"recalled"`
		ProducedAt  string        `json:"producedAt"`
		Product     docProduct    `json:"product"`
		Producer    docOrg        `json:"producer"`
		Origin      docFacility   `json:"origin"`
		Quantity    float64       `json:"quantity"`
		Unit        string        `json:"unit"`
		Ingredients []docIngrednt `json:"ingredients"`
	}
)

func rfc3339(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func optTime(t *time.Time) *string {
	if t == nil {
		return nil
	}
	s := rfc3339(*t)
	return &s
}

func toOrg(o trace.Organization) docOrg {
	return docOrg{Name: o.Name, Kind: string(o.Kind), RegionCode: o.RegionCode, LicenseNo: o.LicenseNo}
}

// toFacility copies a facility for the public. The trace has already
// emptied a private facility's name, address and GLN; its organisation is
// left out here too, as the schema promises "only its kind and region".
func toFacility(f trace.Facility) docFacility {
	d := docFacility{Public: f.Public, Kind: string(f.Kind), RegionCode: f.RegionCode}
	if f.Public {
		o := toOrg(f.Organization)
		d.Name, d.Address, d.Gln, d.Organization = f.Name, f.Address, f.Gln, &o
	}
	return d
}

func toProduct(p trace.Product) docProduct {
	return docProduct{Name: p.Name, Category: string(p.Category), Gtin: p.Gtin, Unit: string(p.Unit),
		ShelfLifeDays: p.ShelfLifeDays, StorageMinC: p.StorageMinC, StorageMaxC: p.StorageMaxC}
}

// ingredientTree arranges the trace's ingredients under the batch they
// went into, following the edges from the root; depth bounds the walk
// even if bad data made a cycle.
func ingredientTree(t *trace.Trace) []docIngrednt {
	batches := make(map[int]*trace.Batch, len(t.Ingredients))
	for _, n := range t.Ingredients {
		batches[n.Batch.ID] = n.Batch
	}
	inputs := map[int][]trace.Edge{}
	for _, e := range t.IngredientEdges {
		inputs[e.OutputID] = append(inputs[e.OutputID], e)
	}
	var walk func(id, depth int) []docIngrednt
	walk = func(id, depth int) []docIngrednt {
		if depth > maxIngredientDepth {
			return nil
		}
		out := []docIngrednt{}
		for _, e := range inputs[id] {
			b := batches[e.InputID]
			if b == nil {
				continue
			}
			out = append(out, docIngrednt{
				LotCode: b.LotCode, Status: string(b.Status), Recalled: b.Status == batch.StatusRECALLED,
				ProducedAt: rfc3339(b.ProducedAt), Product: toProduct(b.Product), Producer: toOrg(b.Producer),
				Origin: toFacility(b.Facility), Quantity: e.Quantity, Unit: string(e.Unit),
				Ingredients: walk(b.ID, depth+1),
			})
		}
		return out
	}
	return walk(t.Batch.ID, 1)
}

// maxIngredientDepth matches the depth of the consumer's trace.
const maxIngredientDepth = 3

// warnings words the trace's warnings in l. The trace decides which apply;
// the words are the page's own, so that they are in the reader's language
// and name facilities only as the page shows them (a private facility by
// its kind and region).
func warnings(t *trace.Trace, l lang) []docWarning {
	out := []docWarning{}
	seen := map[string]bool{}
	for _, w := range t.Warnings {
		if seen[w.Code] {
			continue // the trace may list a code once per cause; so do we, below
		}
		seen[w.Code] = true
		switch w.Code {
		case "RECALLED":
			out = append(out, docWarning{w.Code, l.msg("warn_RECALLED")})
		case "INGREDIENT_RECALLED":
			for _, n := range t.Ingredients {
				if n.Batch.Status == batch.StatusRECALLED {
					out = append(out, docWarning{w.Code, l.msgf("warn_INGREDIENT", n.Batch.Product.Name, n.Batch.LotCode)})
				}
			}
		case "EXPIRED":
			exp := ""
			if t.Batch.ExpiresAt != nil {
				exp = l.date(*t.Batch.ExpiresAt)
			}
			out = append(out, docWarning{w.Code, l.msgf("warn_EXPIRED", exp)})
		case "INSPECTION_FAILED":
			out = append(out, docWarning{w.Code, l.msg("warn_INSPECTION")})
		case "COLD_CHAIN_EXCURSION":
			for _, leg := range t.Journey {
				if leg.ColdChain.Verdict == trace.ColdChainExcursion {
					cc := leg.ColdChain
					out = append(out, docWarning{w.Code, l.msgf("warn_COLD_CHAIN",
						l.place(leg.From), l.place(leg.To), l.rules(cc.Breaches), num(cc.MinutesOutOfRange),
						optC(cc.MaxC), optC(cc.MinC), tempRange(cc.RequiredMinC, cc.RequiredMaxC))})
				}
			}
		default:
			// A warning this page does not know yet: show the trace's
			// own (English) words rather than hide it.
			out = append(out, docWarning{w.Code, w.Message})
		}
	}
	return out
}

// newDocument builds the JSON document of a trace in l.
func newDocument(t *trace.Trace, l lang, ln links) *document {
	b := t.Batch
	d := &document{
		Schema: SchemaVersion, Lang: l, Code: t.Code, Serial: t.Serial, Links: ln,
		Recalled: t.Recalled, Warnings: warnings(t, l),
		Product: toProduct(b.Product), Producer: toOrg(b.Producer),
		Batch: docBatch{LotCode: b.LotCode, Status: string(b.Status), ProducedAt: rfc3339(b.ProducedAt),
			ExpiresAt: optTime(b.ExpiresAt), Expired: b.Expired, Quantity: b.Quantity, Unit: string(b.Unit),
			Facility: toFacility(b.Facility)},
		Inspections: []docInspect{}, Journey: []docLeg{}, Shelf: []docShelf{},
		Ingredients: ingredientTree(t), Certificates: []docCert{},
	}
	for _, c := range t.Certificates {
		d.Certificates = append(d.Certificates, docCert{Kind: string(c.Kind), UploadedAt: rfc3339(c.UploadedAt)})
	}
	for _, in := range t.Inspections {
		di := docInspect{InspectedAt: rfc3339(in.InspectedAt), Result: string(in.Result),
			CertificateNo: in.CertificateNo, Lab: toOrg(in.Lab), Measurements: []docMeasure{}}
		for _, m := range in.Measurements {
			di.Measurements = append(di.Measurements, docMeasure{m.Name, m.Value, m.Unit, m.LimitMin, m.LimitMax, m.WithinLimits})
		}
		d.Inspections = append(d.Inspections, di)
	}
	for _, l := range t.Journey {
		cc := l.ColdChain
		d.Journey = append(d.Journey, docLeg{Status: string(l.Status), DepartedAt: optTime(l.DepartedAt), ArrivedAt: optTime(l.ArrivedAt),
			From: toFacility(l.From), To: toFacility(l.To), Carrier: toOrg(l.Carrier), Quantity: l.Quantity, Unit: string(l.Unit),
			ColdChain: toColdChain(cc)})
	}
	for _, p := range t.Shelf {
		var reason *string
		if p.RemovalReason != nil {
			s := string(*p.RemovalReason)
			reason = &s
		}
		d.Shelf = append(d.Shelf, docShelf{Store: toFacility(p.Store), ShelvedAt: rfc3339(p.ShelvedAt),
			RemovedAt: optTime(p.RemovedAt), RemovalReason: reason, Quantity: p.Quantity, Unit: string(p.Unit)})
	}
	return d
}

// digitalLink returns the batch's (or, with a serial, the item's) GS1
// Digital Link on base, or "" when the product has no GTIN.
func digitalLink(base string, t *trace.Trace) string {
	g := t.Batch.Product.Gtin
	if g == nil || *g == "" {
		return ""
	}
	dl := gs1.DigitalLink{GTIN: *g, Lot: t.Batch.LotCode}
	if t.Serial != nil {
		dl.Serial = *t.Serial
	}
	return dl.URI(base)
}

// The HTML page's view: everything formatted, so the template only lays
// it out.
type (
	pageView struct {
		Lang        string
		M           map[string]string
		CSS         template.CSS
		Title       string
		OtherLang   string
		OtherHref   string
		Banner      *bannerView
		Product     productView
		Batch       batchView
		Inspections []inspectView
		Timeline    []stepView
		Ingredients []ingredientView
		Code        string
		DataHref    string

		// Certificates name the certificates on file and their dates.
		Certificates []string
	}
	bannerView struct {
		Headline string
		Items    []string
		Advice   string
	}
	productView struct {
		Name, Category, Gtin, Storage string
		Producer, License, Region     string
	}
	batchView struct {
		Lot, Serial, Produced, Expires, Status, MadeAt string
		Expired, StatusBad                             bool
	}
	inspectView struct {
		Anchor, Date, Lab, Certificate, Result string
		Pass                                   bool
		Measurements                           []measureView
	}
	measureView struct {
		Name, Value, Limit string
		OK                 bool
	}
	stepView struct {
		Kind  string // produced, shipped, shelved: the dot's colour
		Title string
		When  string
		Lines []string
		Cold  *coldView
		Bad   bool
	}
	coldView struct {
		Class, Text, Detail string
	}
	ingredientView struct {
		Name, Lot, Origin, Producer string
		Recalled                    bool
		Inputs                      []ingredientView
	}
)

// place names a facility as the page shows it: its name (and region) when
// public, "private facility · kind · region" when not.
func (l lang) place(f trace.Facility) string {
	if !f.Public || f.Name == "" {
		return l.msg("private") + " · " + l.enum(string(f.Kind)) + " · " + l.region(f.RegionCode)
	}
	return f.Name + l.paren(l.region(f.RegionCode))
}

// paren puts s in brackets of the language's kind.
func (l lang) paren(s string) string {
	if l == en {
		return " (" + s + ")"
	}
	return "（" + s + "）"
}

// label writes "key: value" with the language's colon.
func (l lang) label(key, value string) string {
	if l == en {
		return l.msg(key) + ": " + value
	}
	return l.msg(key) + "：" + value
}

// newPageView builds the page's view of a trace in l.
func newPageView(t *trace.Trace, d *document, l lang, css template.CSS, ln links) *pageView {
	b := t.Batch
	v := &pageView{
		Lang: l.htmlLang(), M: catalogue[l], CSS: css,
		Title: b.Product.Name + " · " + l.msg("lot") + " " + b.LotCode,
		Code:  t.Code, DataHref: ln.Data,
	}
	if l == zh {
		v.OtherLang, v.OtherHref = l.msg("other_lang"), "?lang=en"
	} else {
		v.OtherLang, v.OtherHref = l.msg("other_lang"), "?lang=zh"
	}
	if len(d.Warnings) > 0 {
		// The trace lists warnings most serious first; the first names
		// the banner.
		key, ok := bannerKey[d.Warnings[0].Code]
		if !ok {
			key = "banner_warning"
		}
		bv := &bannerView{Headline: l.msg(key), Advice: l.msg("banner_advice")}
		if t.Recalled {
			bv.Headline = l.msg("banner_RECALLED")
		}
		for _, w := range d.Warnings {
			bv.Items = append(bv.Items, w.Message)
		}
		v.Banner = bv
	}
	v.Product = productView{Name: b.Product.Name, Category: l.enum(string(b.Product.Category)),
		Storage:  tempRange(b.Product.StorageMinC, b.Product.StorageMaxC),
		Producer: b.Producer.Name, Region: l.region(b.Producer.RegionCode)}
	if b.Product.Gtin != nil {
		v.Product.Gtin = *b.Product.Gtin
	}
	if b.Producer.LicenseNo != nil {
		v.Product.License = *b.Producer.LicenseNo
	}
	v.Batch = batchView{Lot: b.LotCode, Produced: l.date(b.ProducedAt), Expired: b.Expired, MadeAt: l.place(b.Facility)}
	if t.Serial != nil {
		v.Batch.Serial = *t.Serial
	}
	if b.ExpiresAt != nil {
		v.Batch.Expires = l.date(*b.ExpiresAt)
	}
	if b.Status != batch.StatusACTIVE {
		v.Batch.Status = l.enum(string(b.Status))
		v.Batch.StatusBad = b.Status == batch.StatusRECALLED || b.Status == batch.StatusON_HOLD || b.Status == batch.StatusDESTROYED
	}
	for i, in := range t.Inspections {
		iv := inspectView{Anchor: "inspection-" + strconv.Itoa(i+1), Date: l.date(in.InspectedAt), Lab: in.Lab.Name,
			Certificate: in.CertificateNo, Pass: in.Result == inspection.ResultPASS}
		iv.Result = l.msg("fail")
		if iv.Pass {
			iv.Result = l.msg("pass")
		}
		for _, m := range in.Measurements {
			iv.Measurements = append(iv.Measurements, measureView{Name: m.Name,
				Value: fmt.Sprintf("%s %s", num(m.Value), m.Unit), Limit: limitText(m.LimitMin, m.LimitMax, m.Unit), OK: m.WithinLimits})
		}
		v.Inspections = append(v.Inspections, iv)
	}
	for _, c := range t.Certificates {
		v.Certificates = append(v.Certificates, l.msg("cert_"+string(c.Kind))+" · "+l.date(c.UploadedAt))
	}
	v.Timeline = append(v.Timeline, stepView{Kind: "produced", Title: l.msg("step_produced"), When: l.dateTime(b.ProducedAt),
		Lines: []string{l.place(b.Facility)}})
	for _, leg := range t.Journey {
		s := stepView{Kind: "shipped", Title: l.msg("step_shipped") + " · " + l.enum(string(leg.Status))}
		if leg.DepartedAt != nil {
			s.When = l.dateTime(*leg.DepartedAt)
		}
		s.Lines = []string{l.place(leg.From) + " → " + l.place(leg.To), l.label("carrier", leg.Carrier.Name)}
		if leg.ArrivedAt != nil {
			s.Lines = append(s.Lines, l.label("arrived", l.dateTime(*leg.ArrivedAt)))
		}
		cc := leg.ColdChain
		s.Cold = &coldView{Text: l.msg("cc_" + string(cc.Verdict))}
		switch cc.Verdict {
		case trace.ColdChainOK:
			s.Cold.Class = "ok"
		case trace.ColdChainExcursion:
			s.Cold.Class, s.Bad = "bad", true
		case trace.ColdChainNoData:
			s.Cold.Class = "warn"
		default:
			s.Cold.Class = "none"
		}
		if len(cc.Breaches) > 0 {
			s.Cold.Text += " · " + l.rules(cc.Breaches)
		}
		if cc.Readings > 0 {
			s.Cold.Detail = l.msgf("cc_detail", optC(cc.MinC), optC(cc.MaxC), tempRange(cc.RequiredMinC, cc.RequiredMaxC), cc.Readings)
			if cc.MinutesOutOfRange > 0 {
				s.Cold.Detail += l.msgf("cc_minutes", num(cc.MinutesOutOfRange))
			}
		}
		v.Timeline = append(v.Timeline, s)
	}
	for _, p := range t.Shelf {
		s := stepView{Kind: "shelved", Title: l.msg("step_shelved"), When: l.dateTime(p.ShelvedAt), Lines: []string{l.place(p.Store)}}
		if p.RemovedAt != nil {
			r := l.label("removed", l.dateTime(*p.RemovedAt))
			if p.RemovalReason != nil {
				r += l.paren(l.enum(string(*p.RemovalReason)))
			}
			s.Lines = append(s.Lines, r)
		}
		v.Timeline = append(v.Timeline, s)
	}
	var ing func([]docIngrednt) []ingredientView
	ing = func(ds []docIngrednt) []ingredientView {
		var out []ingredientView
		for _, x := range ds {
			origin := l.msg("private") + " · " + l.enum(x.Origin.Kind) + " · " + l.region(x.Origin.RegionCode)
			if x.Origin.Public {
				origin = x.Origin.Name + l.paren(l.region(x.Origin.RegionCode))
			}
			out = append(out, ingredientView{Name: x.Product.Name, Lot: x.LotCode, Origin: origin,
				Producer: x.Producer.Name, Recalled: x.Recalled, Inputs: ing(x.Ingredients)})
		}
		return out
	}
	v.Ingredients = ing(d.Ingredients)
	return v
}

// bannerKey names the banner's headline for each warning code; unknown
// codes get the general one.
var bannerKey = map[string]string{
	"RECALLED":             "banner_RECALLED",
	"INGREDIENT_RECALLED":  "banner_INGREDIENT",
	"EXPIRED":              "banner_EXPIRED",
	"INSPECTION_FAILED":    "banner_INSPECTION",
	"COLD_CHAIN_EXCURSION": "banner_COLD_CHAIN",
}

// toColdChain writes a leg's cold chain for the JSON document, with
// temperatures rounded to 0.1 °C.
func toColdChain(cc trace.ColdChain) docColdChain {
	// The trace has rounded the temperatures and minutes for people.
	d := docColdChain{Verdict: string(cc.Verdict), Readings: cc.Readings, MinC: cc.MinC, MaxC: cc.MaxC,
		RequiredMinC: cc.RequiredMinC, RequiredMaxC: cc.RequiredMaxC,
		Breaches: []string{}, MinutesOutOfRange: cc.MinutesOutOfRange}
	for _, k := range cc.Breaches {
		d.Breaches = append(d.Breaches, string(k))
	}
	return d
}
