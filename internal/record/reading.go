package record

import (
	"context"
	"fmt"
	"io"
	"math"
	"strconv"
	"time"

	"suyuan/ent"
	"suyuan/ent/batch"
	"suyuan/ent/product"
	"suyuan/ent/shipment"
	"suyuan/ent/shipmentitem"
	"suyuan/internal/anomaly"
	"suyuan/internal/epcis"
	"suyuan/internal/errcode"
	"suyuan/internal/eventlog"
)

// TemperatureUnit is the scale a reading was taken in.
type TemperatureUnit string

// Temperature scales; readings are stored in °C.
const (
	Celsius    TemperatureUnit = "C"
	Fahrenheit TemperatureUnit = "F"
	Kelvin     TemperatureUnit = "K"
)

// Celsius converts t from scale u to °C.
func (u TemperatureUnit) Celsius(t float64) (float64, error) {
	switch u {
	case Celsius, "":
		return t, nil
	case Fahrenheit:
		return (t - 32) * 5 / 9, nil
	case Kelvin:
		return t - 273.15, nil
	}
	return 0, errcode.New(errcode.InvalidUnit, "unknown temperature unit %q", string(u))
}

// SensorReadingInput is one logged reading.
type SensorReadingInput struct {
	RecordedAt      time.Time        `json:"recordedAt"`
	Temperature     float64          `json:"temperature"`
	TemperatureUnit *TemperatureUnit `json:"temperatureUnit"`
	Humidity        *float64         `json:"humidity"`
	Latitude        *float64         `json:"latitude"`
	Longitude       *float64         `json:"longitude"`
}

// AddSensorReadingsInput is a bulk upload of readings for one shipment or
// one facility.
type AddSensorReadingsInput struct {
	ShipmentID *int                 `json:"shipmentID"`
	FacilityID *int                 `json:"facilityID"`
	Readings   []SensorReadingInput `json:"readings"`
}

// MaxReadings bounds one upload; loggers upload in chunks.
const MaxReadings = 10000

// readingChunk keeps each INSERT well under MySQL's 65,535 placeholders.
const readingChunk = 1000

// AddSensorReadings stores readings in bulk, all or none.
func (r *Recorder) AddSensorReadings(ctx context.Context, in AddSensorReadingsInput) (int, error) {
	ctx, v, err := actor(ctx)
	if err != nil {
		return 0, err
	}
	if (in.ShipmentID == nil) == (in.FacilityID == nil) {
		return 0, errcode.Field(errcode.BadUserInput, "shipmentID", "give exactly one of shipmentID and facilityID")
	}
	if len(in.Readings) == 0 {
		return 0, errcode.Field(errcode.BadUserInput, "readings", "no readings given")
	}
	if len(in.Readings) > MaxReadings {
		return 0, errcode.Field(errcode.BadUserInput, "readings", "at most %d readings per call", MaxReadings)
	}
	rows := make([]row, len(in.Readings))
	for i, rd := range in.Readings {
		field := "readings." + strconv.Itoa(i)
		if err := r.checkTime(rd.RecordedAt, field+".recordedAt"); err != nil {
			return 0, err
		}
		unit := Celsius
		if rd.TemperatureUnit != nil {
			unit = *rd.TemperatureUnit
		}
		c, err := unit.Celsius(rd.Temperature)
		if err != nil {
			return 0, errcode.WithField(err, field+".temperatureUnit")
		}
		if math.IsNaN(c) || c < -100 || c > 100 {
			return 0, errcode.Field(errcode.BadUserInput, field+".temperature", "temperature must lie between -100 and 100 °C")
		}
		if err := inRange(rd.Humidity, 0, 100, field+".humidity"); err != nil {
			return 0, err
		}
		if err := inRange(rd.Latitude, -90, 90, field+".latitude"); err != nil {
			return 0, err
		}
		if err := inRange(rd.Longitude, -180, 180, field+".longitude"); err != nil {
			return 0, err
		}
		rows[i] = row{rd.RecordedAt, c, rd.Humidity, rd.Latitude, rd.Longitude}
	}
	_, err = r.log.Record(ctx, "addSensorReadings", func(ctx context.Context, tx *ent.Tx, rec *eventlog.Recording) error {
		var subject int
		var e epcis.Event
		if in.ShipmentID != nil {
			s, err := tx.Shipment.Query().Where(shipment.ID(*in.ShipmentID)).WithFromFacility().Only(ctx)
			if err != nil {
				return notFound(err, "shipmentID", "shipment")
			}
			if err := mayWrite(v, "shipmentID", s.CarrierID, s.Edges.FromFacility.OrganizationID); err != nil {
				return err
			}
			subject = s.ID
			to, err := tx.Facility.Get(ctx, s.ToFacilityID)
			if err != nil {
				return fmt.Errorf("reading the shipment's destination: %w", err)
			}
			e = sensed(rows)
			e.BizTransactionList = trip{id: s.ID}.despatch()
			rec.Event(e, []int{s.CarrierID, s.Edges.FromFacility.OrganizationID, to.OrganizationID}, s.Edges.FromFacility.RegionCode, to.RegionCode)
			rec.Changed(ent.TypeShipment, s.ID)
			// Loggers start before loading, so a reading may predate the
			// departure a little; not by a day.
			if s.DepartedAt != nil {
				for i, rw := range rows {
					if rw.at.Before(s.DepartedAt.Add(-24 * time.Hour)) {
						return errcode.Field(errcode.InvalidTimeOrder, "readings."+strconv.Itoa(i)+".recordedAt", "reading is more than a day before the shipment departed")
					}
				}
			}
		} else {
			f, err := tx.Facility.Get(ctx, *in.FacilityID)
			if err != nil {
				return notFound(err, "facilityID", "facility")
			}
			if err := mayWrite(v, "facilityID", f.OrganizationID); err != nil {
				return err
			}
			subject = f.ID
			e = sensed(rows)
			e.ReadPoint, e.BizLocation = placeOf(f), placeOf(f)
			rec.Event(e, []int{f.OrganizationID}, f.RegionCode)
			rec.Changed(ent.TypeFacility, f.ID)
		}
		for start := 0; start < len(rows); start += readingChunk {
			end := min(start+readingChunk, len(rows))
			bulk := make([]*ent.SensorReadingCreate, 0, end-start)
			for _, rw := range rows[start:end] {
				bulk = append(bulk, tx.SensorReading.Create().
					SetNillableShipmentID(in.ShipmentID).
					SetNillableFacilityID(in.FacilityID).
					SetRecordedAt(rw.at.UTC()).
					SetTemperatureC(rw.celsius).
					SetNillableHumidity(rw.hum).
					SetNillableLatitude(rw.la).
					SetNillableLongitude(rw.lo))
			}
			if err := tx.SensorReading.CreateBulk(bulk...).Exec(ctx); err != nil {
				return fmt.Errorf("storing readings: %w", err)
			}
		}
		entity := "Shipment"
		if in.FacilityID != nil {
			entity = "Facility"
		} else {
			readings := make([]anomaly.Reading, len(rows))
			for i, rw := range rows {
				readings[i] = anomaly.Reading{At: rw.at.UTC(), Celsius: rw.celsius}
			}
			fs, err := r.judgeReadings(ctx, tx, subject, readings)
			if err != nil {
				return err
			}
			if err := r.raise(ctx, tx, rec, fs); err != nil {
				return err
			}
		}
		rec.Audit(entity, subject, []string{"readings"})
		return nil
	})
	if err != nil {
		return 0, err
	}
	return len(rows), nil
}

// judgeReadings runs the cheap cold-chain rule — a reading far outside the
// storage range of a product on the trip — on newly logged readings. The
// rules that need a trip's whole log run in the background screener.
func (r *Recorder) judgeReadings(ctx context.Context, tx *ent.Tx, shipmentID int, readings []anomaly.Reading) ([]anomaly.Finding, error) {
	products, err := tx.Product.Query().
		Where(product.HasBatchesWith(batch.HasShipmentItemsWith(shipmentitem.ShipmentID(shipmentID)))).
		Order(ent.Asc(product.FieldID)).
		All(ctx)
	if err != nil {
		return nil, fmt.Errorf("reading the trip's products: %w", err)
	}
	subject := anomaly.Subject{Type: anomaly.SubjectShipment, ID: shipmentID}
	for _, p := range products {
		rng := anomaly.Range{Min: p.StorageMinC, Max: p.StorageMaxC}
		if fs := anomaly.OutOfRange(subject, readings, rng, r.rules.ColdChainFor(string(p.Category))); len(fs) > 0 {
			// One alert per trip: the first product whose range is broken.
			return fs, nil
		}
	}
	return nil, nil
}

func inRange(v *float64, lo, hi float64, field string) error {
	if v != nil && (math.IsNaN(*v) || *v < lo || *v > hi) {
		return errcode.Field(errcode.BadUserInput, field, "must lie between %g and %g", lo, hi)
	}
	return nil
}

// MarshalGQL writes u as a GraphQL enum value.
func (u TemperatureUnit) MarshalGQL(w io.Writer) {
	io.WriteString(w, strconv.Quote(string(u)))
}

// UnmarshalGQL reads a GraphQL enum value into u.
func (u *TemperatureUnit) UnmarshalGQL(v any) error {
	s, _ := v.(string)
	switch TemperatureUnit(s) {
	case Celsius, Fahrenheit, Kelvin:
		*u = TemperatureUnit(s)
		return nil
	}
	return errcode.New(errcode.InvalidUnit, "temperature unit must be C, F or K")
}

// row is a reading checked and converted to °C; at keeps the offset it was
// given in.
type row struct {
	at          time.Time
	celsius     float64
	hum, la, lo *float64
}

// sensed is the event of a logger's readings: one sensor element per
// reading time, temperature in °C, relative humidity in percent, and
// where the logger was. Its event time is the last reading's; loggers
// report in UTC, so the offset is the one the readings came in.
func sensed(rows []row) epcis.Event {
	last := rows[0].at
	els := make([]epcis.SensorElement, len(rows))
	for i, rw := range rows {
		if rw.at.After(last) {
			last = rw.at
		}
		t, c := rw.at, rw.celsius
		reports := []epcis.SensorReport{{Type: "Temperature", Value: &c, UOM: "CEL"}}
		if rw.hum != nil {
			reports = append(reports, epcis.SensorReport{Type: "RelativeHumidity", Value: rw.hum, UOM: "P1"})
		}
		if rw.la != nil && rw.lo != nil {
			reports = append(reports,
				epcis.SensorReport{Type: "urn:suyuan:latitude", Value: rw.la, UOM: "DD"},
				epcis.SensorReport{Type: "urn:suyuan:longitude", Value: rw.lo, UOM: "DD"})
		}
		els[i] = epcis.SensorElement{SensorMetadata: &epcis.SensorMetadata{Time: &t}, SensorReport: reports}
	}
	e := newEvent(epcis.ObjectEvent, last, epcis.Observe, "sensor_reporting", "")
	e.SensorElementList = els
	return e
}
