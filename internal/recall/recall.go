// Package recall takes food off the market: it marks the recalled batches
// and everything made from them RECALLED, records what stood on each
// store's shelves at that moment, notifies every organisation the food
// reached, reports how much has been taken off since, and closes recalls.
package recall

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"suyuan/ent"
	"suyuan/ent/batch"
	"suyuan/ent/recall"
	"suyuan/ent/shipment"
	"suyuan/internal/alert"
	"suyuan/internal/anomaly"
	"suyuan/internal/errcode"
	"suyuan/internal/eventlog"
	"suyuan/internal/quantity"
	"suyuan/internal/tenancy"
	"suyuan/internal/trace"
	"suyuan/internal/viewer"
)

// Service starts, follows and closes recalls.
type Service struct {
	client *ent.Client
	log    *eventlog.Log
	reader *trace.Reader
	now    func() time.Time
}

// New returns a Service recording through log, whose clock it uses.
// Recall notices are named in the recall's change, whose followers
// publish them.
func New(client *ent.Client, log *eventlog.Log, reader *trace.Reader) *Service {
	return &Service{client: client, log: log, reader: reader, now: log.Now}
}

// Input starts a recall.
type Input struct {
	BatchIDs []int        `json:"batchIDs"`
	Reason   string       `json:"reason"`
	Class    recall.Class `json:"class"`
	Depth    recall.Depth `json:"depth"`
}

// maxRoots bounds the batches one recall names; a larger incident is
// several recalls.
const maxRoots = 50

// severity of the notices of each recall class.
var severity = map[recall.Class]anomaly.Severity{
	recall.ClassI:   anomaly.Critical,
	recall.ClassII:  anomaly.High,
	recall.ClassIII: anomaly.Medium,
}

// Initiate starts a recall of the input's batches. Administrators,
// regulators who see the batches and the batches' producer may start one.
func (s *Service) Initiate(ctx context.Context, in Input) (*ent.Recall, error) {
	v := viewer.FromContext(ctx)
	if v == nil {
		return nil, errcode.New(errcode.Unauthenticated, "log in to start a recall")
	}
	if v.ReadOnly {
		return nil, errcode.New(errcode.Forbidden, "this API key may only read")
	}
	roots := unique(in.BatchIDs)
	switch {
	case len(roots) == 0:
		return nil, errcode.Field(errcode.BadUserInput, "batchIDs", "name at least one batch")
	case len(roots) > maxRoots:
		return nil, errcode.Field(errcode.BadUserInput, "batchIDs", "at most %d batches per recall", maxRoots)
	}
	reason := strings.TrimSpace(in.Reason)
	if reason == "" {
		return nil, errcode.Field(errcode.BadUserInput, "reason", "give the reason for the recall")
	}
	if len([]rune(reason)) > 2000 {
		return nil, errcode.Field(errcode.BadUserInput, "reason", "must be at most 2000 characters")
	}
	if recall.ClassValidator(in.Class) != nil {
		return nil, errcode.Field(errcode.BadUserInput, "class", "class must be I, II or III")
	}
	if recall.DepthValidator(in.Depth) != nil {
		return nil, errcode.Field(errcode.BadUserInput, "depth", "depth must be WHOLESALE, RETAIL or CONSUMER")
	}
	for i, id := range roots {
		ok, err := tenancy.ProducerOrRegulator(ctx, s.client, id)
		if err != nil {
			return nil, err
		}
		if !ok {
			// Whether the batch exists is not for this viewer to learn.
			if _, err := s.client.Batch.Get(ctx, id); ent.IsNotFound(err) {
				return nil, errcode.Field(errcode.NotFound, fmt.Sprintf("batchIDs.%d", i), "batch not found")
			}
			return nil, errcode.Field(errcode.Forbidden, fmt.Sprintf("batchIDs.%d", i), "only the batch's producer or a regulator may recall it")
		}
	}
	sys := tenancy.System(ctx)
	scope, err := s.scope(sys, roots)
	if err != nil {
		return nil, err
	}
	var out *ent.Recall
	_, err = s.log.Record(ctx, "initiateRecall", func(sys context.Context, tx *ent.Tx, rec *eventlog.Recording) error {
		rootRows, err := tx.Batch.Query().Where(batch.IDIn(roots...)).WithFacility().
			Order(ent.Asc(batch.FieldID)).All(sys)
		if err != nil {
			return fmt.Errorf("reading batches: %w", err)
		}
		for _, b := range rootRows {
			if b.Status == batch.StatusRECALLED {
				return errcode.Field(errcode.InvalidState, "batchIDs", "batch %s is already recalled", b.LotCode)
			}
		}
		// Claim the roots with a conditional update: it waits for, and
		// then sees, a concurrent recall of the same batches, which a
		// plain read in MySQL's snapshot would not.
		n, err := tx.Batch.Update().
			Where(batch.IDIn(roots...), batch.StatusNEQ(batch.StatusRECALLED)).
			SetStatus(batch.StatusRECALLED).Save(sys)
		if err != nil {
			return fmt.Errorf("marking batches recalled: %w", err)
		}
		if n != len(roots) {
			return errcode.Field(errcode.InvalidState, "batchIDs", "some of the batches were recalled meanwhile")
		}
		org := v.OrgID
		if org == 0 {
			org = rootRows[0].OrganizationID
		}
		now := s.now().UTC()
		c := tx.Recall.Create().
			SetReason(reason).SetClass(in.Class).SetDepth(in.Depth).
			SetOrganizationID(org).
			SetRegionCode(rootRows[0].Edges.Facility.RegionCode).
			SetInitiatedAt(now).
			SetAffectedBatches(len(scope.batches)).
			AddBatchIDs(roots...)
		if v.UserID != 0 {
			c.SetInitiatedByID(v.UserID)
		}
		if out, err = c.Save(sys); err != nil {
			return fmt.Errorf("recording recall: %w", err)
		}
		if _, err := tx.Batch.Update().
			Where(batch.IDIn(scope.batches...), batch.StatusNEQ(batch.StatusDESTROYED)).
			SetStatus(batch.StatusRECALLED).Save(sys); err != nil {
			return fmt.Errorf("marking batches recalled: %w", err)
		}
		places := make([]*ent.RecallPlaceCreate, 0, len(scope.places))
		for _, p := range scope.places {
			places = append(places, tx.RecallPlace.Create().SetRecallID(out.ID).
				SetFacilityID(p.facility).SetBatchID(p.batch).SetOnShelfMilli(p.milli).SetUnit(p.unit))
		}
		for start := 0; start < len(places); start += 500 {
			if err := tx.RecallPlace.CreateBulk(places[start:min(start+500, len(places))]...).Exec(sys); err != nil {
				return fmt.Errorf("recording recall places: %w", err)
			}
		}
		lots := make([]string, len(rootRows))
		for i, b := range rootRows {
			lots[i] = b.LotCode
		}
		for _, n := range scope.notify {
			f := anomaly.Finding{
				Kind:       anomaly.RecallNotice,
				Severity:   severity[in.Class],
				Subject:    anomaly.Subject{Type: anomaly.SubjectRecall, ID: out.ID},
				FacilityID: n.facility,
				At:         now,
				Evidence: anomaly.Evidence{
					Summary: fmt.Sprintf("Class %s recall (%s) of lot %s: %s", in.Class, in.Depth, strings.Join(lots, ", "), reason),
					Values: []anomaly.Value{
						{Name: "batches affected", Value: float64(len(scope.batches))},
						{Name: "places holding it", Value: float64(n.places)},
					},
				},
			}
			a, news, err := alert.Raise(sys, tx, now, f, n.org)
			if err != nil {
				return err
			}
			if news {
				rec.Raised(a.ID)
			}
		}
		if err := s.logRecall(sys, tx, rec, out, rootRows, scope); err != nil {
			return err
		}
		rec.Audit("Recall", out.ID, []string{"batchIDs", "reason", "class", "depth"})
		return nil
	})
	if err != nil {
		return nil, err
	}
	// Read it again outside the transaction: its edges load lazily.
	return s.client.Recall.Get(sys, out.ID)
}

// scope is what a recall reaches, worked out before its transaction.
type scope struct {
	batches []int
	places  []shelfPlace
	notify  []notice
}

type shelfPlace struct {
	facility, batch int
	milli           int64
	unit            quantity.Unit
}

type notice struct {
	org, facility, places int
}

// scope walks downstream from each root: the batches made from it, the
// places holding or having held any of them, the carriers with some on
// board or about to load it, and what is on shelves now.
func (s *Service) scope(ctx context.Context, roots []int) (*scope, error) {
	sc := &scope{}
	seenBatch := map[int]bool{}
	seenPlace := map[[2]int]bool{}
	notify := map[int]*notice{}
	note := func(org, facility int) {
		n := notify[org]
		if n == nil {
			n = &notice{org: org, facility: facility}
			notify[org] = n
		}
		n.places++
	}
	for _, id := range roots {
		im, err := s.reader.RecallImpact(ctx, id)
		if err != nil {
			return nil, fmt.Errorf("tracing batch %d downstream: %w", id, err)
		}
		batches := append([]*trace.Batch{im.Root}, nodes(im.Batches)...)
		for _, b := range batches {
			if !seenBatch[b.ID] {
				seenBatch[b.ID] = true
				sc.batches = append(sc.batches, b.ID)
				note(b.Producer.ID, b.Facility.ID)
			}
		}
		for _, p := range im.Places {
			key := [2]int{p.Facility.ID, p.Batch.ID}
			if seenPlace[key] {
				continue
			}
			seenPlace[key] = true
			note(p.Facility.Organization.ID, p.Facility.ID)
			if p.OnShelf > 0 {
				sc.places = append(sc.places, shelfPlace{
					facility: p.Facility.ID, batch: p.Batch.ID,
					milli: int64(math.Round(p.OnShelf * 1000)), unit: p.Unit,
				})
			}
		}
	}
	// Carriers with the food on board now must turn round too.
	lineages, err := s.reader.Lineages(ctx, roots, trace.Downstream, trace.MaxMaxDepth)
	if err != nil {
		return nil, fmt.Errorf("tracing shipments downstream: %w", err)
	}
	for _, id := range roots {
		for _, leg := range lineages[id].Shipments {
			if leg.Status == shipment.StatusIN_TRANSIT || leg.Status == shipment.StatusPLANNED {
				note(leg.Carrier.ID, leg.From.ID)
			}
		}
	}
	for _, n := range notify {
		sc.notify = append(sc.notify, *n)
	}
	sort.Slice(sc.notify, func(i, j int) bool { return sc.notify[i].org < sc.notify[j].org })
	return sc, nil
}

func nodes(ns []trace.Node) []*trace.Batch {
	out := make([]*trace.Batch, len(ns))
	for i, n := range ns {
		out[i] = n.Batch
	}
	return out
}

func unique(ids []int) []int {
	seen := map[int]bool{}
	var out []int
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}
