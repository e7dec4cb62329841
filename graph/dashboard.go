package graph

import (
	"context"
	"strings"
	"time"

	"suyuan/internal/dashboard"
	"suyuan/internal/errcode"
	"suyuan/internal/viewer"
)

// defaultPeriod is the dashboard's period when none is asked for.
const defaultPeriod = 30 * 24 * time.Hour

// dashboard answers a regulator's or administrator's dashboard query,
// filling in the viewer's region and the last 30 days.
func (r *Resolver) dashboard(ctx context.Context, region *string, from, to *time.Time) (*dashboard.Summary, error) {
	v := viewer.FromContext(ctx)
	if v == nil || (v.Role != viewer.Regulator && v.Role != viewer.Admin) {
		return nil, errcode.New(errcode.Forbidden, "the dashboard is for regulators and administrators")
	}
	prefix := ""
	if v.Role == viewer.Regulator {
		prefix = v.RegionPrefix()
	}
	if region != nil && *region != "" {
		if !digits(*region) || len(*region) < 2 || len(*region) > 6 {
			return nil, errcode.Field(errcode.InvalidRegionCode, "region", "a region is 2 to 6 digits of an administrative code")
		}
		if !strings.HasPrefix(*region, prefix) {
			return nil, errcode.Field(errcode.Forbidden, "region", "region %s lies outside yours", *region)
		}
		prefix = *region
	}
	end := r.now()
	if to != nil {
		end = *to
	}
	start := end.Add(-defaultPeriod + 24*time.Hour)
	if from != nil {
		start = *from
	}
	if start.After(end) {
		return nil, errcode.Field(errcode.InvalidTimeOrder, "from", "from lies after to")
	}
	if end.Sub(start) > dashboard.MaxDays*24*time.Hour {
		return nil, errcode.Field(errcode.BadUserInput, "from", "a dashboard covers at most %d days", dashboard.MaxDays)
	}
	return dashboard.Load(ctx, r.client, prefix, start, end)
}

func digits(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
