package tts

import "errors"

// Sentinel errors that backends return, wrapped, so that callers can tell
// a request that cannot be spoken from a backend that failed.
var (
	// ErrEmptyText means the request has nothing to say.
	ErrEmptyText = errors.New("tts: empty text")
	// ErrTextTooLong means the text exceeds what the backend speaks in
	// one request; callers split answers into sentences first.
	ErrTextTooLong = errors.New("tts: text too long")
	// ErrUnknownVoice means the backend has no voice of that name.
	ErrUnknownVoice = errors.New("tts: unknown voice")
	// ErrUnsupportedLanguage means the backend cannot speak the language.
	ErrUnsupportedLanguage = errors.New("tts: unsupported language")
	// ErrStreamClosed is returned by Read after Close.
	ErrStreamClosed = errors.New("tts: stream closed")
	// ErrTextClosed is returned by TextStream.WriteText after CloseText.
	ErrTextClosed = errors.New("tts: text stream closed for writing")
)
