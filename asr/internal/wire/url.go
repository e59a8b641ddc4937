package wire

import (
	"fmt"
	"net/url"
	"strings"
)

// Paths of the endpoints under a server's base URL (protocols.md 1a, 1b).
const (
	transcriptionsPath = "/v1/audio/transcriptions"
	realtimePath       = "/v1/realtime"
)

// Endpoints derives the REST transcription URL and the realtime WebSocket
// URL from a configured base. The base may be http(s) or ws(s), with or
// without a path prefix (a reverse proxy's), a trailing slash, a trailing
// /v1, or either full endpoint path: "http://gpu:8000",
// "http://gpu:8000/v1/", "wss://proxy/asr/v1/realtime" all work. The query
// is kept; user info and fragments are refused.
func Endpoints(base string) (rest, realtime string, err error) {
	u, err := url.Parse(strings.TrimSpace(base))
	if err != nil {
		return "", "", fmt.Errorf("url %q: %w", base, err)
	}
	httpScheme, wsScheme := "http", "ws"
	switch strings.ToLower(u.Scheme) {
	case "http", "ws":
	case "https", "wss":
		httpScheme, wsScheme = "https", "wss"
	default:
		return "", "", fmt.Errorf("url %q: scheme must be http, https, ws or wss", base)
	}
	if u.Host == "" || u.User != nil || u.Fragment != "" {
		return "", "", fmt.Errorf("url %q: want scheme://host[:port][/prefix]", base)
	}

	prefix := strings.TrimRight(u.EscapedPath(), "/")
	for _, suffix := range []string{transcriptionsPath, realtimePath, "/v1"} {
		if strings.HasSuffix(prefix, suffix) {
			prefix = strings.TrimSuffix(prefix, suffix)
			break
		}
	}
	rest = build(u, httpScheme, prefix+transcriptionsPath)
	realtime = build(u, wsScheme, prefix+realtimePath)
	return rest, realtime, nil
}

// build returns u with the scheme and escaped path replaced.
func build(u *url.URL, scheme, escapedPath string) string {
	v := *u
	v.Scheme = scheme
	v.RawPath = escapedPath
	v.Path, _ = url.PathUnescape(escapedPath)
	return v.String()
}
