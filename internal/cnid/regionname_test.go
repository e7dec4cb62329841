package cnid

import "testing"

func TestYaanRegionNames(t *testing.T) {
	names := YaanRegionNames()
	regions := YaanRegions()
	if len(names) != len(regions) || len(yaanEnglish) != len(regions) {
		t.Fatalf("%d names and %d English names for %d regions", len(names), len(yaanEnglish), len(regions))
	}
	for i, n := range names {
		if n.Code != regions[i].Code || n.Chinese != regions[i].Name || n.English == "" {
			t.Errorf("name %d = %+v, want %+v with an English name", i, n, regions[i])
		}
	}
	if names[1].English != "Yucheng District" {
		t.Errorf("511802 is called %q in English", names[1].English)
	}
	names[0].English = "changed"
	if YaanRegionNames()[0].English != "Ya'an" {
		t.Error("YaanRegionNames shares its result between calls")
	}
}

func TestProvinceNames(t *testing.T) {
	names := ProvinceNames()
	n := 0
	for _, ok := range provinces {
		if ok {
			n++
		}
	}
	if len(names) != n {
		t.Fatalf("%d province names for %d valid prefixes", len(names), n)
	}
	prev := ""
	for _, p := range names {
		if len(p.Code) != 2 || !isDigits(p.Code) || !provinces[int(p.Code[0]-'0')*10+int(p.Code[1]-'0')] {
			t.Errorf("%+v: not a valid province prefix", p)
		}
		if p.Code <= prev {
			t.Errorf("%s follows %s: not in code order", p.Code, prev)
		}
		prev = p.Code
		if p.Chinese == "" || p.English == "" {
			t.Errorf("%+v lacks a name", p)
		}
	}
	names[0].Chinese = "changed"
	if ProvinceNames()[0].Chinese != "北京市" {
		t.Error("ProvinceNames shares its result between calls")
	}
}
