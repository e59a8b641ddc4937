// Package sip is voiced's SIP user agent server: it answers calls from
// trunks and PBXs (RFC 3261), negotiates audio with SDP offer/answer
// (RFC 3264, RFC 8866, SDES-SRTP per RFC 4568), authenticates peers by
// source address or digest (RFC 7616, RFC 2617), routes numbers to
// tenants through a Handler, keeps outbound trunk registrations alive and
// transfers calls with REFER (RFC 3515).
//
// A Server owns its listeners, the calls it answered and every goroutine
// it started; Shutdown drains calls and Close stops at once. Each Call
// runs one event loop that owns its dialog state, and hands the handler
// the media.Stream's playout queue, caller audio and DTMF.
//
// Signalling and transactions come from github.com/emiago/sipgo; audio
// comes from package media.
package sip
