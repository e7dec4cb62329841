package graph

import (
	"context"
	"reflect"
	"strings"

	"github.com/99designs/gqlgen/graphql"

	"suyuan/internal/errcode"
	"suyuan/internal/tenancy"
)

// scopeFilters limits the related rows of every has…With filter in a
// field's where argument to those the viewer may read. Ent's privacy
// rules filter the rows a query returns, but a has…With filter matches
// related rows in a subquery beneath them: without this, asking for one's
// batches shelved at a competitor's store would tell where the competitor
// shelves them.
func scopeFilters(ctx context.Context, next graphql.Resolver) (any, error) {
	if fc := graphql.GetFieldContext(ctx); fc != nil {
		if where, ok := fc.Args["where"]; ok && where != nil {
			if err := scopeWhere(ctx, reflect.ValueOf(where)); err != nil {
				return nil, err
			}
		}
	}
	return next(ctx)
}

// scopeWhere walks a generated where input (*XWhereInput): its not, and
// and or inputs, and, for each has…With input of an entity Y, adds the
// viewer's filter of Y with Y's AddPredicates before walking it in turn.
func scopeWhere(ctx context.Context, v reflect.Value) error {
	if v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct {
		return nil
	}
	s := v.Elem()
	for i := range s.NumField() {
		name, field := s.Type().Field(i).Name, s.Field(i)
		switch {
		case name == "Not":
			if err := scopeWhere(ctx, field); err != nil {
				return err
			}
		case name == "And" || name == "Or":
			for j := range field.Len() {
				if err := scopeWhere(ctx, field.Index(j)); err != nil {
					return err
				}
			}
		case strings.HasPrefix(name, "Has") && strings.HasSuffix(name, "With") && field.Kind() == reflect.Slice:
			for j := range field.Len() {
				related := field.Index(j)
				if related.IsNil() {
					continue
				}
				entity := strings.TrimSuffix(related.Elem().Type().Name(), "WhereInput")
				pred, ok, err := tenancy.Filter(ctx, entity)
				if err != nil {
					return errcode.Field(errcode.Forbidden, "where", "you may not filter on %s", entity)
				}
				if ok {
					related.MethodByName("AddPredicates").Call([]reflect.Value{reflect.ValueOf(pred)})
				}
				if err := scopeWhere(ctx, related); err != nil {
					return err
				}
			}
		}
	}
	return nil
}
