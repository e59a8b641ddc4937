// Package qwen is an asr backend for Qwen3-ASR served by vLLM, over its
// realtime WebSocket GET /v1/realtime (protocols.md 1b) with POST
// /v1/audio/transcriptions (1a) as the fallback.
//
// Each utterance gets a socket of its own, opened by Start when speech
// starts: the server's known faults (a second utterance on one socket
// returning the first one's text, silence returning the previous text)
// never arise, and decoding runs while the caller speaks, so only the tail
// remains when Finish sends the final commit. Write keeps every sample and
// a goroutine of the session sends them, so Write never waits for the
// network. When the socket fails (refused, an error event, a disconnect, a
// timeout), Finish sends the whole utterance over REST once, and
// Result.Backend says which path answered.
//
// The model's "language X<asr_text>" prefix is removed from partial and
// final text, also when it is split across deltas or repeated in every
// 5-second segment; the language is kept in Result.Language.
package qwen
