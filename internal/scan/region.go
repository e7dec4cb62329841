package scan

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"sort"
	"strings"

	"suyuan/internal/cnid"
)

// Regions maps IP prefixes to coarse administrative regions (6-digit GB/T
// 2260 codes), so that a scan can be placed on a map without keeping the
// client's address. The longest matching prefix wins. The zero value and
// nil are empty tables: every address maps to "".
type Regions struct {
	// tables holds one map per prefix length, longest first; a lookup masks
	// the address to each length in turn, so its cost grows with the number
	// of distinct lengths (a few dozen at most), not with the table's size.
	tables []prefixTable
	n      int
}

type prefixTable struct {
	bits  int
	is4   bool
	byPfx map[netip.Prefix]string
}

// LoadRegions reads a region table from a CSV file; an empty path gives an
// empty table. See ParseRegions for the format.
func LoadRegions(path string) (*Regions, error) {
	if path == "" {
		return &Regions{}, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("opening IP region table: %w", err)
	}
	defer f.Close()
	r, err := ParseRegions(f)
	if err != nil {
		return nil, fmt.Errorf("reading IP region table %s: %w", path, err)
	}
	return r, nil
}

// ParseRegions reads a region table in CSV: one "prefix,region" record a
// line, such as "110.185.0.0/16,511800" or "2001:db8::/32,510000". Lines
// starting with # are comments, and a first record "cidr,region" (any
// case) is taken as a header. A bare address counts as a full-length
// prefix. A prefix given twice is an error, as the table would be
// ambiguous.
func ParseRegions(r io.Reader) (*Regions, error) {
	cr := csv.NewReader(r)
	cr.Comment = '#'
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	byLen := map[[2]int]map[netip.Prefix]string{} // (bits, is4) → table
	out := &Regions{}
	for first := true; ; first = false {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		line, _ := cr.FieldPos(0)
		if len(rec) != 2 {
			return nil, fmt.Errorf("line %d: want 2 fields (prefix,region), got %d", line, len(rec))
		}
		p, code := strings.TrimSpace(rec[0]), strings.TrimSpace(rec[1])
		if first && strings.EqualFold(p, "cidr") {
			continue
		}
		pfx, err := parsePrefix(p)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
		if code, err = cnid.RegionCode(code); err != nil {
			return nil, fmt.Errorf("line %d: region %q: %w", line, rec[1], err)
		}
		k := [2]int{pfx.Bits(), b2i(pfx.Addr().Is4())}
		t := byLen[k]
		if t == nil {
			t = map[netip.Prefix]string{}
			byLen[k] = t
		}
		if _, dup := t[pfx]; dup {
			return nil, fmt.Errorf("line %d: prefix %s is listed twice", line, pfx)
		}
		t[pfx] = code
		out.n++
	}
	for k, t := range byLen {
		out.tables = append(out.tables, prefixTable{bits: k[0], is4: k[1] == 1, byPfx: t})
	}
	sort.Slice(out.tables, func(i, j int) bool { return out.tables[i].bits > out.tables[j].bits })
	return out, nil
}

func parsePrefix(s string) (netip.Prefix, error) {
	if !strings.Contains(s, "/") {
		a, err := netip.ParseAddr(s)
		if err != nil {
			return netip.Prefix{}, fmt.Errorf("%q is neither a CIDR prefix nor an address", s)
		}
		a = a.Unmap()
		return netip.PrefixFrom(a, a.BitLen()), nil
	}
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("%q is not a CIDR prefix", s)
	}
	if p.Addr().Is4In6() {
		// ::ffff:a.b.c.d/n: store it as the IPv4 prefix that lookups of
		// unmapped addresses will find.
		if p.Bits() < 96 {
			return netip.Prefix{}, fmt.Errorf("%q is an IPv4-mapped prefix shorter than /96", s)
		}
		p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
	}
	return p.Masked(), nil
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// Len returns the number of prefixes in the table.
func (r *Regions) Len() int {
	if r == nil {
		return 0
	}
	return r.n
}

// Lookup returns the region of addr by longest-prefix match, or "" when
// no prefix covers it. IPv4-mapped IPv6 addresses are looked up as IPv4.
func (r *Regions) Lookup(addr netip.Addr) string {
	if r == nil || !addr.IsValid() {
		return ""
	}
	addr = addr.Unmap().WithZone("")
	is4 := addr.Is4()
	for _, t := range r.tables {
		if t.is4 != is4 {
			continue
		}
		p, err := addr.Prefix(t.bits)
		if err != nil {
			continue
		}
		if code, ok := t.byPfx[p]; ok {
			return code
		}
	}
	return ""
}
