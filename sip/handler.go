package sip

import (
	"context"
	"net/netip"
)

// Handler routes and serves the calls a Server answers.
type Handler interface {
	// Route picks the tenant and agent for a call before it is answered.
	// An error wrapping ErrNoRoute rejects the call with 404; a
	// *StatusError with its own status; any other error with 500.
	Route(ctx context.Context, in Inbound) (Route, error)
	// ServeCall runs an answered call on its own goroutine. ctx ends when
	// the call ends: BYE from the peer, no RTP, drain, Hangup or Transfer.
	// ServeCall returning early does not end the call; the server waits
	// for it to return before Shutdown or Close complete.
	ServeCall(ctx context.Context, c *Call)
}

// Inbound describes an incoming call to Route.
type Inbound struct {
	// User is the Request-URI's user part, or the To header's when the
	// Request-URI has none: the number that was called.
	User string
	// From is the caller's From URI.
	From string
	// Trunk is the name of the trunk the call was accepted on.
	Trunk string
	// TrunkTenant is that trunk's default tenant.
	TrunkTenant string
	// Source is where the INVITE came from.
	Source netip.AddrPort
	// CallID is the INVITE's Call-ID.
	CallID string
}

// Route is where a call goes.
type Route struct {
	Tenant, Agent string
}
