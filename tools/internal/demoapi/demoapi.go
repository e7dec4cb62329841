// Package demoapi is a small client of a Suyuan server holding the demo
// data, for the tools that drive the loopback cluster (tools/cluster/check,
// tools/faults): it logs in as the demo's accounts, sends GraphQL, and
// reports each answer's HTTP status and error code, which those tools
// count.
package demoapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// Demo accounts (README.md): all share one password.
const (
	Password       = "suyuan-demo-2026"
	Regulator      = "13900000001"
	Slaughterhouse = "13900000002"
	Carrier        = "13900000003"
	Supermarket    = "13900000004"
	Laboratory     = "13900000005"
	// PorkCode is the trace code of the demo's chilled pork loin.
	PorkCode = "YA0PORK0DEMO0001"
)

// Answer is one HTTP exchange's outcome as the tools count it.
type Answer struct {
	Status     int    // HTTP status; 0 when no answer came
	Code       string // the first error's extensions.code, or "" for none
	Message    string // the first error's message, or the transport error
	RetryAfter string // the Retry-After header
	RequestID  string // the X-Request-ID header, which names the server's log line
	// ReadAfter is the primary's position after a recording (the
	// Suyuan-Read-After header): sent back, it has reads wait for it.
	ReadAfter string
	Data      json.RawMessage
	Body      []byte
}

// OK reports a 200 answer without errors.
func (a Answer) OK() bool { return a.Status == http.StatusOK && a.Code == "" && a.Message == "" }

// Err describes a failed answer.
func (a Answer) Err() error {
	if a.OK() {
		return nil
	}
	return fmt.Errorf("HTTP %d %s: %s", a.Status, a.Code, a.Message)
}

// Client sends requests to one base URL as one caller.
type Client struct {
	Base      string
	Token     string
	ReadAfter string // sent as Suyuan-Read-After, to read one's own writes
	HTTP      *http.Client
}

// New returns a client of base with a per-request time limit.
func New(base string, timeout time.Duration) *Client {
	return &Client{Base: strings.TrimSuffix(base, "/"), HTTP: &http.Client{Timeout: timeout}}
}

// As returns a copy of c that sends token.
func (c *Client) As(token string) *Client {
	cc := *c
	cc.Token = token
	return &cc
}

// After returns a copy of c whose reads see the recording that answered
// with position pos (Answer.ReadAfter).
func (c *Client) After(pos string) *Client {
	cc := *c
	cc.ReadAfter = pos
	return &cc
}

// At returns a copy of c that sends to base.
func (c *Client) At(base string) *Client {
	cc := *c
	cc.Base = strings.TrimSuffix(base, "/")
	return &cc
}

type gqlError struct {
	Message    string
	Extensions struct {
		Code string
	}
}

// GraphQL posts query with vars; idemKey, when not empty, is sent as the
// Idempotency-Key.
func (c *Client) GraphQL(ctx context.Context, idemKey, query string, vars map[string]any) Answer {
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		return Answer{Message: err.Error()}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.Base+"/graphql", bytes.NewReader(body))
	if err != nil {
		return Answer{Message: err.Error()}
	}
	req.Header.Set("Content-Type", "application/json")
	if idemKey != "" {
		req.Header.Set("Idempotency-Key", idemKey)
	}
	a := c.do(req)
	if a.Body == nil {
		return a
	}
	var out struct {
		Data   json.RawMessage
		Errors []gqlError
	}
	if err := json.Unmarshal(a.Body, &out); err != nil {
		if a.Message == "" {
			a.Message = "unreadable answer: " + truncate(string(a.Body), 200)
		}
		return a
	}
	a.Data = out.Data
	if len(out.Errors) > 0 {
		a.Code, a.Message = out.Errors[0].Extensions.Code, out.Errors[0].Message
	}
	return a
}

// Get fetches path with an Accept header.
func (c *Client) Get(ctx context.Context, path, accept string) Answer {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.Base+path, nil)
	if err != nil {
		return Answer{Message: err.Error()}
	}
	req.Header.Set("Accept", accept)
	a := c.do(req)
	if a.Status != http.StatusOK && a.Body != nil {
		var out struct {
			Code    string
			Message string
			Errors  []gqlError
		}
		if json.Unmarshal(a.Body, &out) == nil {
			a.Code, a.Message = out.Code, out.Message
			if len(out.Errors) > 0 {
				a.Code, a.Message = out.Errors[0].Extensions.Code, out.Errors[0].Message
			}
		}
		if a.Message == "" {
			a.Message = truncate(string(a.Body), 200)
		}
	}
	return a
}

func (c *Client) do(req *http.Request) Answer {
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	if c.ReadAfter != "" {
		req.Header.Set("Suyuan-Read-After", c.ReadAfter)
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return Answer{Message: transportError(err)}
	}
	defer resp.Body.Close()
	a := Answer{Status: resp.StatusCode, RetryAfter: resp.Header.Get("Retry-After"), RequestID: resp.Header.Get("X-Request-ID"),
		ReadAfter: resp.Header.Get("Suyuan-Read-After")}
	if a.Body, err = io.ReadAll(resp.Body); err != nil {
		a.Message = transportError(err)
	}
	return a
}

// transportError names a failure to get an answer briefly: a timeout is
// what the fault tool calls a hang.
func transportError(err error) string {
	if errors.Is(err, context.DeadlineExceeded) || strings.Contains(err.Error(), "Client.Timeout") {
		return "timeout"
	}
	return err.Error()
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// Login logs in as a demo account and returns its access token.
func (c *Client) Login(ctx context.Context, phone string) (string, error) {
	a := c.GraphQL(ctx, "", `mutation($p: String!, $w: String!) { login(phone: $p, password: $w) { accessToken } }`,
		map[string]any{"p": phone, "w": Password})
	if err := a.Err(); err != nil {
		return "", fmt.Errorf("logging in as %s: %w", phone, err)
	}
	var out struct{ Login struct{ AccessToken string } }
	if err := json.Unmarshal(a.Data, &out); err != nil {
		return "", fmt.Errorf("logging in as %s: %w", phone, err)
	}
	return out.Login.AccessToken, nil
}

// Must runs a GraphQL operation that has to succeed and decodes its data
// into out.
func (c *Client) Must(ctx context.Context, out any, query string, vars map[string]any) error {
	a := c.GraphQL(ctx, "", query, vars)
	if err := a.Err(); err != nil {
		return err
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(a.Data, out); err != nil {
		return fmt.Errorf("decoding %s: %w", truncate(string(a.Data), 200), err)
	}
	return nil
}

// Demo holds the ids of the demo's hand-written chain that the tools
// record against.
type Demo struct {
	PorkBatch  string // the batch behind PorkCode
	Product    string // its product
	Plant      string // the slaughterhouse's facility that made it
	CarrierOrg string
	LabOrg     string
	Store      string // a facility of the supermarket
}

// FindDemo finds the demo chain's ids, logging in as tokens names.
func FindDemo(ctx context.Context, c *Client, tokens map[string]string) (Demo, error) {
	var d Demo
	var tr struct {
		Trace struct{ Batch struct{ ID string } }
	}
	if err := c.Must(ctx, &tr, `query($c: String!) { trace(code: $c) { batch { id } } }`, map[string]any{"c": PorkCode}); err != nil {
		return d, fmt.Errorf("tracing the demo's pork: %w", err)
	}
	d.PorkBatch = tr.Trace.Batch.ID
	var b struct {
		Node struct {
			Product  struct{ ID string }
			Facility struct{ ID string }
		}
	}
	if err := c.As(tokens[Slaughterhouse]).Must(ctx, &b, `query($id: ID!) { node(id: $id) { ... on Batch { product { id } facility { id } } } }`,
		map[string]any{"id": d.PorkBatch}); err != nil {
		return d, fmt.Errorf("reading the demo's pork batch: %w", err)
	}
	d.Product, d.Plant = b.Node.Product.ID, b.Node.Facility.ID
	type me struct {
		Me struct {
			Organization struct {
				ID         string
				Facilities struct {
					Edges []struct{ Node struct{ ID, Kind string } }
				}
			}
		}
	}
	const meQuery = `{ me { organization { id facilities { edges { node { id kind } } } } } }`
	var carrier, lab, shop me
	for _, x := range []struct {
		phone string
		out   *me
	}{{Carrier, &carrier}, {Laboratory, &lab}, {Supermarket, &shop}} {
		if err := c.As(tokens[x.phone]).Must(ctx, x.out, meQuery, nil); err != nil {
			return d, fmt.Errorf("reading %s's organisation: %w", x.phone, err)
		}
	}
	d.CarrierOrg, d.LabOrg = carrier.Me.Organization.ID, lab.Me.Organization.ID
	for _, e := range shop.Me.Organization.Facilities.Edges {
		if e.Node.Kind == "STORE" || e.Node.Kind == "MARKET" {
			d.Store = e.Node.ID
			break
		}
	}
	if d.Store == "" {
		return d, errors.New("the demo supermarket has no store")
	}
	return d, nil
}

// LoginAll logs in as each phone.
func LoginAll(ctx context.Context, c *Client, phones ...string) (map[string]string, error) {
	tokens := map[string]string{}
	for _, p := range phones {
		t, err := c.Login(ctx, p)
		if err != nil {
			return nil, err
		}
		tokens[p] = t
	}
	return tokens, nil
}
