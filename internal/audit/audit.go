// Package audit writes the audit trail: one entry per change, in the
// transaction that makes it, naming the actor, its organisation, the
// operation, the entity and its changed fields, and the request.
package audit

import (
	"context"
	"fmt"

	"suyuan/ent"
	"suyuan/internal/reqlog"
	"suyuan/internal/viewer"
)

// Write records op on entity id by the viewer in ctx, in tx.
func Write(ctx context.Context, tx *ent.Tx, op, entity string, id int, fields []string) error {
	c := tx.AuditEntry.Create().
		SetOperation(op).SetEntity(entity).SetEntityID(id).
		SetFields(fields).SetRequestID(reqlog.ID(ctx))
	if v := viewer.FromContext(ctx); v != nil {
		if v.UserID != 0 {
			c.SetActorUserID(v.UserID)
		}
		if v.KeyID != 0 {
			c.SetActorKeyID(v.KeyID)
		}
		if v.OrgID != 0 {
			c.SetOrganizationID(v.OrgID)
		}
	}
	if err := c.Exec(ctx); err != nil {
		return fmt.Errorf("writing audit entry: %w", err)
	}
	return nil
}

// WriteUnauthenticated records op by a caller who is not logged in — a
// failed login — on entity id (0 when there is none), under the
// organisation the entity belongs to (0: none known), so that who oversees
// the organisation sees it.
func WriteUnauthenticated(ctx context.Context, tx *ent.Tx, orgID int, op, entity string, id int, fields []string) error {
	c := tx.AuditEntry.Create().
		SetOperation(op).SetEntity(entity).SetEntityID(id).
		SetFields(fields).SetRequestID(reqlog.ID(ctx))
	if orgID != 0 {
		c.SetOrganizationID(orgID)
	}
	if err := c.Exec(ctx); err != nil {
		return fmt.Errorf("writing audit entry: %w", err)
	}
	return nil
}
