package anomaly_test

import (
	"fmt"
	"time"

	"suyuan/internal/anomaly"
)

func ExampleModifiedZ() {
	// TVB-N of six pork lots, one of them spoiled.
	scores, median, mad, ok := anomaly.ModifiedZ([]float64{9.8, 10.1, 9.5, 10.4, 9.9, 24.6})
	fmt.Printf("median %.2f, MAD %.2f, ok %v\n", median, mad, ok)
	for _, s := range scores {
		fmt.Printf("%.1f ", s)
	}
	fmt.Println()
	// Output:
	// median 10.00, MAD 0.30, ok true
	// -0.4 0.2 -1.1 0.9 -0.2 32.8
}

func ExampleSustained() {
	// A lorry's compressor fails: 3 °C rising to 12 °C over three hours.
	start := time.Date(2025, 3, 1, 8, 0, 0, 0, time.UTC)
	var readings []anomaly.Reading
	for i := 0; i <= 36; i++ {
		readings = append(readings, anomaly.Reading{
			At:      start.Add(time.Duration(i) * 5 * time.Minute),
			Celsius: 3 + 0.25*float64(i),
		})
	}
	lo, hi := 0.0, 4.0
	pork := anomaly.Range{Min: &lo, Max: &hi}
	p := anomaly.DefaultConfig().ColdChainFor("MEAT")
	lorry := anomaly.Subject{Type: anomaly.SubjectShipment, ID: 7}

	fmt.Println(len(anomaly.OutOfRange(lorry, readings, pork, p)), "far out of range")
	for _, f := range anomaly.Sustained(lorry, readings, pork, p) {
		fmt.Println(f.Kind, f.Severity)
		fmt.Println(f.Evidence.Summary)
	}
	// Output:
	// 0 far out of range
	// SUSTAINED_EXCURSION HIGH
	// Above the 4 °C maximum for 155 min, peaking at 12 °C (8 °C outside); the limit is 30 min.
}
