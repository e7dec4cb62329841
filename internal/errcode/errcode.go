// Package errcode is the registry of error codes that Suyuan returns to its
// clients. Every error a client sees carries exactly one of these codes; the
// list is documented in docs/ERRORS.md and must stay in step with it.
package errcode

import (
	"errors"
	"fmt"
	"net/http"
	"time"
)

// Code is a stable, machine-readable error code. Clients branch on it, so a
// code, once published, is never renamed or reused for another meaning.
type Code string

// The registry. Keep docs/ERRORS.md in step.
const (
	Unauthenticated          Code = "UNAUTHENTICATED"
	Forbidden                Code = "FORBIDDEN"
	NotFound                 Code = "NOT_FOUND"
	BadUserInput             Code = "BAD_USER_INPUT"
	InvalidPhone             Code = "INVALID_PHONE"
	InvalidCreditCode        Code = "INVALID_CREDIT_CODE"
	InvalidLicenseNo         Code = "INVALID_LICENSE_NO"
	InvalidGTIN              Code = "INVALID_GTIN"
	InvalidGLN               Code = "INVALID_GLN"
	InvalidRegionCode        Code = "INVALID_REGION_CODE"
	InvalidQuantity          Code = "INVALID_QUANTITY"
	InvalidUnit              Code = "INVALID_UNIT"
	InvalidTimeOrder         Code = "INVALID_TIME_ORDER"
	InvalidDigitalLink       Code = "INVALID_DIGITAL_LINK"
	InvalidURL               Code = "INVALID_URL"
	URLNotAllowed            Code = "URL_NOT_ALLOWED"
	InvalidCursor            Code = "INVALID_CURSOR"
	InvalidText              Code = "INVALID_TEXT"
	PageSizeExceeded         Code = "PAGE_SIZE_EXCEEDED"
	QuantityExceedsAvailable Code = "QUANTITY_EXCEEDS_AVAILABLE"
	InvalidState             Code = "INVALID_STATE"
	Conflict                 Code = "CONFLICT"
	ComplexityLimitExceeded  Code = "COMPLEXITY_LIMIT_EXCEEDED"
	DepthLimitExceeded       Code = "DEPTH_LIMIT_EXCEEDED"
	AliasLimitExceeded       Code = "ALIAS_LIMIT_EXCEEDED"
	TokenLimitExceeded       Code = "TOKEN_LIMIT_EXCEEDED"
	GraphQLParseFailed       Code = "GRAPHQL_PARSE_FAILED"
	GraphQLValidationFailed  Code = "GRAPHQL_VALIDATION_FAILED"
	RequestTooLarge          Code = "REQUEST_TOO_LARGE"
	InvalidRequest           Code = "INVALID_REQUEST"
	MethodNotAllowed         Code = "METHOD_NOT_ALLOWED"
	UnsupportedMediaType     Code = "UNSUPPORTED_MEDIA_TYPE"
	HeaderTooLarge           Code = "REQUEST_HEADER_TOO_LARGE"
	DocumentEmpty            Code = "DOCUMENT_EMPTY"
	DocumentTooLarge         Code = "DOCUMENT_TOO_LARGE"
	DocumentTypeRefused      Code = "DOCUMENT_TYPE_REFUSED"
	RateLimited              Code = "RATE_LIMITED"
	IdempotencyKeyReused     Code = "IDEMPOTENCY_KEY_REUSED"
	IdempotencyKeyInUse      Code = "IDEMPOTENCY_KEY_IN_USE"
	AnswerLost               Code = "ANSWER_LOST"
	Timeout                  Code = "TIMEOUT"
	Unavailable              Code = "UNAVAILABLE"
	Internal                 Code = "INTERNAL"
)

// All returns every code of the registry, in the order docs/ERRORS.md
// lists them. A test holds it to the constants above and to that page.
func All() []Code {
	return []Code{
		Unauthenticated, Forbidden, NotFound, BadUserInput, InvalidPhone,
		InvalidCreditCode, InvalidLicenseNo, InvalidGTIN, InvalidGLN,
		InvalidRegionCode, InvalidQuantity, InvalidUnit, InvalidTimeOrder,
		InvalidDigitalLink, InvalidURL, URLNotAllowed, InvalidCursor, InvalidText, PageSizeExceeded,
		QuantityExceedsAvailable, InvalidState, Conflict,
		ComplexityLimitExceeded, DepthLimitExceeded, AliasLimitExceeded,
		TokenLimitExceeded, GraphQLParseFailed, GraphQLValidationFailed,
		RequestTooLarge, HeaderTooLarge, UnsupportedMediaType,
		MethodNotAllowed, InvalidRequest, DocumentEmpty, DocumentTooLarge,
		DocumentTypeRefused, RateLimited, IdempotencyKeyReused,
		IdempotencyKeyInUse, AnswerLost, Timeout, Unavailable, Internal,
	}
}

// Error is an error raised on purpose: its message is written for the
// client and is safe to show. Field names the offending input, when there is
// one, as a dotted path such as "input.items.2.quantity".
type Error struct {
	Code    Code
	Message string
	Field   string
	// RetryAfter, on a RATE_LIMITED or UNAVAILABLE error, is how long to wait before
	// trying again.
	RetryAfter time.Duration
}

func (e *Error) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("%s: %s (%s)", e.Field, e.Message, e.Code)
	}
	return fmt.Sprintf("%s (%s)", e.Message, e.Code)
}

// Is reports whether target is an *Error with the same code, so callers can
// write errors.Is(err, &errcode.Error{Code: errcode.NotFound}).
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

// New returns an error with a code and a client-safe message.
func New(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Field returns an input error that names the offending field.
func Field(code Code, field, format string, args ...any) *Error {
	return &Error{Code: code, Field: field, Message: fmt.Sprintf(format, args...)}
}

// WithField returns a copy of err with its field set to field, or prefixed by
// field when err already names one; errors without a code pass through.
func WithField(err error, field string) error {
	var e *Error
	if !errors.As(err, &e) {
		return err
	}
	c := *e
	if c.Field == "" {
		c.Field = field
	} else {
		c.Field = field + "." + c.Field
	}
	return &c
}

// CodeOf returns the code of err, or Internal when err carries none.
func CodeOf(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return Internal
}

// HTTPStatus is the status a plain HTTP endpoint answers an error of code
// c with (GraphQL responses carry the code instead).
func (c Code) HTTPStatus() int {
	switch c {
	case Unauthenticated:
		return http.StatusUnauthorized
	case Forbidden:
		return http.StatusForbidden
	case NotFound:
		return http.StatusNotFound
	case QuantityExceedsAvailable, InvalidState, Conflict, IdempotencyKeyInUse, AnswerLost:
		return http.StatusConflict
	case IdempotencyKeyReused:
		return http.StatusUnprocessableEntity
	case RequestTooLarge, DocumentTooLarge:
		return http.StatusRequestEntityTooLarge
	case MethodNotAllowed:
		return http.StatusMethodNotAllowed
	case UnsupportedMediaType, DocumentTypeRefused:
		return http.StatusUnsupportedMediaType
	case HeaderTooLarge:
		return http.StatusRequestHeaderFieldsTooLarge
	case RateLimited:
		return http.StatusTooManyRequests
	case Timeout, Unavailable:
		return http.StatusServiceUnavailable
	case Internal:
		return http.StatusInternalServerError
	}
	return http.StatusBadRequest
}
