package epcis

import (
	"encoding/json"
	"io"
	"strings"
	"testing"
)

// FuzzDecoder checks that no input makes the decoder panic, and that every
// event it accepts can be hashed, written and read back to the same hash.
func FuzzDecoder(f *testing.F) {
	f.Add(doc(okEvent))
	f.Add(doc(ev("ex:x", `{"ex:y":[1,"2",{"ex:z":null}]}`)))
	f.Add(`{"epcisBody":{"eventList":[` + okEvent + `]},"type":"EPCISDocument","schemaVersion":"2.0","creationDate":"2024-05-01T00:00:00Z"}`)
	f.Add(doc(ev("sensorElementList", `[{"sensorReport":[{"type":"gs1:Temperature","value":-1.5e2,"uom":"CEL","stringValue":"\u00e9\ud83d\ude00"}]}]`)))
	f.Fuzz(func(t *testing.T, in string) {
		d := NewDecoder(strings.NewReader(in), Limits{MaxEvents: 50})
		for {
			e, err := d.Next()
			if err != nil {
				if err != io.EOF {
					if _, ok := err.(*Problem); !ok {
						t.Fatalf("error is not a *Problem: %v", err)
					}
				}
				return
			}
			h1, err := Hash(e)
			if err != nil {
				t.Fatalf("accepted event cannot be hashed: %v", err)
			}
			b, err := json.Marshal(e)
			if err != nil {
				t.Fatal(err)
			}
			var back Event
			if err := back.read(b, e.Context); err != nil {
				t.Fatalf("written event does not read back: %v\n%s", err, b)
			}
			if err := Validate(&back); err != nil {
				t.Fatalf("written event does not validate: %v\n%s", err, b)
			}
			if h2, _ := Hash(&back); h1 != h2 {
				t.Fatalf("hash changed through writing:\n%s", b)
			}
		}
	})
}
