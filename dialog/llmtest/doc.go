// Package llmtest provides a fake OpenAI-compatible chat completions
// server for tests, in the manner of net/http/httptest.
//
// The server speaks the protocol as real model servers do (protocols.md,
// section 4): server-sent events of chat.completion.chunk objects, a role
// chunk first, the content in several deltas, a chunk with the finish
// reason, the usage chunk with empty choices when include_usage was asked
// for, and "data: [DONE]"; or one chat.completion object without
// streaming. It serves both POST /v1/chat/completions and Azure's
// /openai/deployments/{deployment}/chat/completions?api-version=...
//
// Each request is answered by a Script, taken from a queue or produced by
// a handler function. Scripts cover the protocol's odd corners (tool
// calls split by index or sent whole, reasoning deltas, Azure's
// content-filter chunk, chunks without a delta) and its failures (error
// statuses, a slow first token, an error event or a disconnect in the
// middle of the stream). Refused connections are made by closing the
// listener with Refuse. Every request is recorded.
package llmtest
