package idempotency

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"suyuan/ent"
	"suyuan/ent/idempotencyrecord"
	"suyuan/internal/errcode"
	"suyuan/internal/tenancy"
)

type claimKey struct{}

// withClaim marks ctx as the request that claimed the key's row id.
func withClaim(ctx context.Context, id int) context.Context {
	return context.WithValue(ctx, claimKey{}, id)
}

// lostAnswer is what a retry is told when the request it repeats was
// recorded but its server stopped before the answer was kept.
var lostAnswer, _ = json.Marshal(map[string]any{"errors": []map[string]any{{
	"message": "the request with this Idempotency-Key was recorded, but its server stopped before its answer was kept; " +
		"read the result with a query; do not send it again",
	"extensions": map[string]any{"code": errcode.AnswerLost, "field": Header},
}}})

// Recorded notes, in the transaction of a recording made for a request
// that claimed an Idempotency-Key, that the request's work is done. Should
// its server stop between the commit and keeping the answer, a retry with
// the key is then told so (ANSWER_LOST) once the claim's lease runs out,
// instead of doing the work a second time. The answer kept when the
// request ends replaces the note.
func Recorded(ctx context.Context, tx *ent.Tx) error {
	id, ok := ctx.Value(claimKey{}).(int)
	if !ok {
		return nil
	}
	// Only a claim still under way: a recording made later for a request
	// already answered (an asynchronous capture) changes nothing.
	_, err := tx.IdempotencyRecord.Update().
		Where(idempotencyrecord.ID(id), idempotencyrecord.StateEQ(idempotencyrecord.StatePROCESSING)).
		SetResponseStatus(errcode.AnswerLost.HTTPStatus()).
		SetResponseHeader(http.Header{"Content-Type": {"application/json"}}).
		SetResponseBody(lostAnswer).
		Save(tenancy.System(ctx))
	if err != nil {
		return fmt.Errorf("noting the recording on its idempotency key: %w", err)
	}
	return nil
}
