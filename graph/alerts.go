package graph

import (
	"context"

	"suyuan/ent"
	entalert "suyuan/ent/alert"
	"suyuan/internal/alert"
	"suyuan/internal/errcode"
	"suyuan/internal/viewer"
)

func (r *Resolver) setAlertStatus(ctx context.Context, id int, status entalert.Status, note string) (*ent.Alert, error) {
	return alert.SetStatus(ctx, r.client, r.log, id, status, note)
}

// subscribeAlerts streams the alerts the viewer may see as they are
// raised, until the client unsubscribes or disconnects.
func (r *Resolver) subscribeAlerts(ctx context.Context) (<-chan *ent.Alert, error) {
	v := viewer.FromContext(ctx)
	if v == nil {
		return nil, errcode.New(errcode.Unauthenticated, "log in to follow alerts")
	}
	return r.alerts.Subscribe(ctx, func(a *ent.Alert) bool { return alert.Visible(v, a) }), nil
}
