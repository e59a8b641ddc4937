// Package siptest is a SIP test phone for voiced's tests, like
// net/http/httptest for HTTP: a real user agent (sipgo) on loopback
// sockets that places calls with a given number and credentials, offers
// PCMU over RTP or SRTP, sends audio and DTMF (RFC 4733 and SIP INFO),
// collects the audio it receives, puts calls on hold with re-INVITEs,
// answers REFERs with 202 and a NOTIFY (RFC 3515), and hangs up.
package siptest
