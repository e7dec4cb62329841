package record

import (
	"context"

	"suyuan/internal/errcode"
	"suyuan/internal/tenancy"
	"suyuan/internal/viewer"
)

// actor returns who is recording, and a context in which the operation
// reads with the system's privileges. Operations must see the rows they
// refer to across tenants (a carrier ships to another organisation's
// store); whether the actor may make the change is decided here, in the
// operation, and a refusal is FORBIDDEN — never a silent miss.
func actor(ctx context.Context) (context.Context, *viewer.Viewer, error) {
	v := viewer.FromContext(ctx)
	if v == nil {
		return nil, nil, errcode.New(errcode.Unauthenticated, "log in to record data")
	}
	return tenancy.System(ctx), v, nil
}

// mayWrite refuses a change to orgID's data by a viewer who may not make
// it, naming the field that chose the organisation.
func mayWrite(v *viewer.Viewer, field string, orgIDs ...int) error {
	for _, id := range orgIDs {
		if v.CanWrite(id) {
			return nil
		}
	}
	if v.ReadOnly {
		return errcode.Field(errcode.Forbidden, field, "this API key may only read")
	}
	return errcode.Field(errcode.Forbidden, field, "you may not record data for this organisation")
}
