package seed

import (
	"context"
	"path/filepath"
	"testing"

	"suyuan/ent/batch"
	"suyuan/ent/privacy"
	"suyuan/ent/tracecode"
	"suyuan/internal/auth"
	"suyuan/internal/store"
)

func TestDemo(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) { testDemo(t, openSQLite(t)) })
	t.Run("mysql", func(t *testing.T) { testDemo(t, openMySQL(t)) })
}

func testDemo(t *testing.T, db *store.DB) {
	ctx := privacy.DecisionContext(context.Background(), privacy.Allow)
	client := db.Client
	if err := Demo(ctx, client); err != nil {
		t.Fatalf("Demo: %v", err)
	}

	t.Run("pork trace", func(t *testing.T) {
		loin, err := client.TraceCode.Query().Where(tracecode.Code(DemoTraceCode)).QueryBatch().Only(ctx)
		if err != nil {
			t.Fatalf("resolving %s: %v", DemoTraceCode, err)
		}
		if loin.LotCode != DemoLoinLot {
			t.Errorf("trace code resolves to lot %s, want %s", loin.LotCode, DemoLoinLot)
		}
		p, err := loin.QueryProduct().Only(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if p.Name != "冷鲜猪里脊 Chilled pork loin" || p.Category != "MEAT" || p.ShelfLifeDays == nil || *p.ShelfLifeDays != 7 ||
			p.StorageMinC == nil || *p.StorageMinC != 0 || p.StorageMaxC == nil || *p.StorageMaxC != 4 {
			t.Errorf("product is %+v", p)
		}
		// trace code → loin → carcasses → pigs
		var lots []string
		for b := loin; b != nil; {
			lots = append(lots, b.LotCode)
			ins, err := b.QueryInputs().QueryInput().All(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(ins) > 1 {
				t.Fatalf("lot %s has %d inputs, want one", b.LotCode, len(ins))
			}
			b = nil
			if len(ins) == 1 {
				b = ins[0]
			}
		}
		want := []string{DemoLoinLot, DemoCarcassLot, DemoPigLot}
		if len(lots) != len(want) {
			t.Fatalf("lineage is %v, want %v", lots, want)
		}
		for i := range want {
			if lots[i] != want[i] {
				t.Fatalf("lineage is %v, want %v", lots, want)
			}
		}

		ins, err := loin.QueryInspections().WithMeasurements().All(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(ins) != 1 || ins[0].Result != "PASS" || len(ins[0].Edges.Measurements) != 2 {
			t.Fatalf("inspections of the loin: %+v", ins)
		}
		for _, m := range ins[0].Edges.Measurements {
			if m.LimitMax == nil || m.Value > *m.LimitMax {
				t.Errorf("measurement %s = %v over its limit %v", m.Name, m.Value, m.LimitMax)
			}
		}

		items, err := loin.QueryShipmentItems().WithShipment().All(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(items) != 1 || items[0].Edges.Shipment.Status != "DELIVERED" {
			t.Fatalf("shipments of the loin: %+v", items)
		}
		readings, err := items[0].Edges.Shipment.QuerySensorReadings().All(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(readings) < 20 {
			t.Errorf("%d sensor readings, want about 24", len(readings))
		}
		for _, r := range readings {
			if r.TemperatureC < 0 || r.TemperatureC > 4 {
				t.Errorf("reading %.1f °C outside 0–4 °C", r.TemperatureC)
			}
		}
		shelf, err := loin.QueryShelfEvents().WithFacility().All(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(shelf) != 1 || shelf[0].Edges.Facility.Kind != "STORE" {
			t.Errorf("shelf events of the loin: %+v", shelf)
		}
	})

	t.Run("tea trace", func(t *testing.T) {
		tea, err := client.TraceCode.Query().Where(tracecode.Code(DemoTeaTraceCode)).QueryBatch().Only(ctx)
		if err != nil {
			t.Fatal(err)
		}
		ins, err := tea.QueryInputs().QueryInput().All(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if tea.LotCode != DemoTeaLot || len(ins) != 2 {
			t.Errorf("tea lot %s has %d inputs, want %s with 2", tea.LotCode, len(ins), DemoTeaLot)
		}
		if n, err := tea.QueryShelfEvents().Count(ctx); err != nil || n != 1 {
			t.Errorf("tea shelf events: %d, %v", n, err)
		}
	})

	t.Run("valid identifiers", func(t *testing.T) { checkIdentifiers(t, db) })
	t.Run("stock", func(t *testing.T) { checkStock(t, db, nil) })

	t.Run("idempotent", func(t *testing.T) {
		before := checksum(t, db)
		if err := Demo(ctx, client); err != nil {
			t.Fatalf("second Demo: %v", err)
		}
		if after := checksum(t, db); after != before {
			t.Error("the second Demo changed the database")
		}
		if n, err := client.Batch.Query().Where(batch.LotCode(DemoLoinLot)).Count(ctx); err != nil || n != 1 {
			t.Errorf("%d loin lots after two Demos (%v)", n, err)
		}
	})
}

func TestDemoUsers(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "d.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if err := Demo(ctx, db.Client); err != nil {
		t.Fatal(err)
	}
	for range 2 { // idempotent
		if err := DemoUsers(ctx, db.Client); err != nil {
			t.Fatal(err)
		}
	}
	svc := auth.NewService(db.Client, db.Dialect, auth.DerivedKeySet("x"), auth.NewHasher(1), nil)
	for _, a := range DemoAccounts() {
		tk, err := svc.Login(ctx, a.Phone, DemoPassword)
		if err != nil {
			t.Fatalf("logging in as %s: %v", a.Phone, err)
		}
		if tk.User.Role != a.Role {
			t.Errorf("%s has role %s, want %s", a.Phone, tk.User.Role, a.Role)
		}
	}
}
