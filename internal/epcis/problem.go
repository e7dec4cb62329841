package epcis

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
)

// ExceptionType names an EPCIS exception as the OpenAPI of EPCIS 2.0 does,
// as the "type" of an RFC 7807 problem response.
type ExceptionType string

// The exception types of the EPCIS 2.0 REST binding.
const (
	ValidationException            ExceptionType = "epcisException:ValidationException"
	ImplementationException        ExceptionType = "epcisException:ImplementationException"
	CaptureLimitExceededException  ExceptionType = "epcisException:CaptureLimitExceededException"
	QueryParameterException        ExceptionType = "epcisException:QueryParameterException"
	QueryValidationException       ExceptionType = "epcisException:QueryValidationException"
	QueryTooLargeException         ExceptionType = "epcisException:QueryTooLargeException"
	QueryTooComplexException       ExceptionType = "epcisException:QueryTooComplexException"
	NoSuchResourceException        ExceptionType = "epcisException:NoSuchResourceException"
	NoSuchNameException            ExceptionType = "epcisException:NoSuchNameException"
	SubscriptionControlsException  ExceptionType = "epcisException:SubscriptionControlsException"
	SecurityException              ExceptionType = "epcisException:SecurityException"
	ResourceAlreadyExistsException ExceptionType = "epcisException:ResourceAlreadyExistsException"
	NotAcceptableException         ExceptionType = "epcisException:NotAcceptableException"
	UnsupportedMediaTypeException  ExceptionType = "epcisException:UnsupportedMediaTypeException"
	URITooLongException            ExceptionType = "epcisException:URITooLongException"
)

// Status returns the HTTP status the OpenAPI gives the exception.
func (t ExceptionType) Status() int {
	switch t {
	case ValidationException, QueryParameterException, QueryValidationException, SubscriptionControlsException:
		return 400
	case SecurityException:
		return 401
	case NoSuchResourceException, NoSuchNameException:
		return 404
	case NotAcceptableException:
		return 406
	case ResourceAlreadyExistsException:
		return 409
	case CaptureLimitExceededException, QueryTooLargeException, QueryTooComplexException:
		return 413
	case URITooLongException:
		return 414
	case UnsupportedMediaTypeException:
		return 415
	default:
		return 500
	}
}

// Title is the short, fixed summary of the exception type.
func (t ExceptionType) Title() string {
	switch t {
	case ValidationException:
		return "Invalid EPCIS document or event"
	case CaptureLimitExceededException:
		return "Capture payload too large"
	case QueryParameterException:
		return "Invalid query parameter"
	case QueryValidationException:
		return "Invalid query"
	case QueryTooLargeException, QueryTooComplexException:
		return "Query result too large"
	case NoSuchResourceException:
		return "No such resource"
	case NoSuchNameException:
		return "No such name"
	case SubscriptionControlsException:
		return "Subscription error"
	case SecurityException:
		return "Unauthorised request"
	case ResourceAlreadyExistsException:
		return "Resource already exists"
	case NotAcceptableException:
		return "Not acceptable"
	case UnsupportedMediaTypeException:
		return "Unsupported media type"
	case URITooLongException:
		return "URI too long"
	default:
		return "Implementation error"
	}
}

// Problem is a refused input or a failure, carrying what a GS1 problem
// response (RFC 7807, application/problem+json) needs. EventIndex and
// Field locate the cause in a captured document, so a partner can fix it
// without guessing.
type Problem struct {
	Type     ExceptionType
	Title    string
	Status   int
	Detail   string
	Instance string

	// EventIndex is the zero-based position of the event in the
	// document's eventList, or -1 when the problem is not in an event.
	EventIndex int
	// Field is the path of the offending member, dot-separated with list
	// positions as numbers: epcisBody.eventList.3.quantityList.0.uom.
	Field string
	// Code is the service's own error code (docs/ERRORS.md) where one
	// says more than the exception type: IDEMPOTENCY_KEY_REUSED,
	// RATE_LIMITED.
	Code string

	// Err is the underlying cause, if any; it is not marshalled.
	Err error
}

// NewProblem returns a problem of type t with its standard title and
// status, not located in any event.
func NewProblem(t ExceptionType, detail string) *Problem {
	return &Problem{Type: t, Title: t.Title(), Status: t.Status(), Detail: detail, EventIndex: -1}
}

func (p *Problem) Error() string {
	s := string(p.Type) + ": " + p.Detail
	if p.Field != "" {
		s += " (at " + p.Field + ")"
	}
	return s
}

func (p *Problem) Unwrap() error { return p.Err }

// MarshalJSON writes the RFC 7807 body with the extension members
// eventIndex, field and code when they are set.
func (p *Problem) MarshalJSON() ([]byte, error) {
	type body struct {
		Type       string `json:"type"`
		Title      string `json:"title"`
		Status     int    `json:"status,omitempty"`
		Detail     string `json:"detail,omitempty"`
		Instance   string `json:"instance,omitempty"`
		EventIndex *int   `json:"eventIndex,omitempty"`
		Field      string `json:"field,omitempty"`
		Code       string `json:"code,omitempty"`
	}
	b := body{Type: string(p.Type), Title: p.Title, Status: p.Status, Detail: p.Detail, Instance: p.Instance, Field: p.Field, Code: p.Code}
	if p.EventIndex >= 0 {
		i := p.EventIndex
		b.EventIndex = &i
	}
	return json.Marshal(b)
}

// ProblemContentType is the media type of a marshalled Problem.
const ProblemContentType = "application/problem+json"

// fieldError is a refusal found while reading or checking an event, with
// the path of the member below the event; the decoder and Validate turn
// it into a Problem.
type fieldError struct {
	path string
	msg  string
	err  error
}

func (e *fieldError) Error() string {
	if e.path == "" {
		return e.msg
	}
	return e.path + ": " + e.msg
}

func (e *fieldError) Unwrap() error { return e.err }

// errAt returns a fieldError at path.
func errAt(path, format string, args ...any) *fieldError {
	return &fieldError{path: path, msg: fmt.Sprintf(format, args...)}
}

// under prefixes the path of err, when it is a fieldError, with parent,
// so that nested readers need not know where they are.
func under(parent string, err error) error {
	var fe *fieldError
	if !errors.As(err, &fe) {
		return &fieldError{path: parent, msg: err.Error(), err: err}
	}
	return &fieldError{path: join(parent, fe.path), msg: fe.msg, err: fe.err}
}

// join joins path segments with dots, skipping empty ones.
func join(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + "." + b
}

// idx is join with a list position.
func idx(a string, i int) string { return join(a, strconv.Itoa(i)) }

// validationProblem turns err into a ValidationException at the event
// with index i (-1 for none) whose path in the document is base.
func validationProblem(err error, i int, base string) *Problem {
	var p *Problem
	if errors.As(err, &p) {
		return p
	}
	pr := NewProblem(ValidationException, err.Error())
	pr.EventIndex = i
	pr.Err = err
	var fe *fieldError
	if errors.As(err, &fe) {
		pr.Detail = fe.msg
		pr.Field = join(base, fe.path)
	} else {
		pr.Field = base
	}
	return pr
}

func itoa(i int) string { return strconv.Itoa(i) }
