package sphinx

import "errors"

// Sentinel errors of the sphinx recognizer, returned wrapped with context.
// Sessions return asr.ErrFinished and asr.ErrClosed like every backend,
// and New wraps asr.ErrBadConfig for a value it cannot use.
var (
	// ErrModelMissing means a model, dictionary or language model file is
	// not where the Config says; the Debian package pocketsphinx-en-us
	// installs the defaults.
	ErrModelMissing = errors.New("sphinx: model file missing")
	// ErrLoad means pocketsphinx refused a model, dictionary, language
	// model or word.
	ErrLoad = errors.New("sphinx: cannot load model")
	// ErrDecode means pocketsphinx failed while decoding an utterance.
	ErrDecode = errors.New("sphinx: decoding failed")
	// ErrClosed is returned by Start after the Recognizer was closed (a
	// session used after its own Close returns asr.ErrClosed).
	ErrClosed = errors.New("sphinx: recognizer closed")
	// ErrEmptyCorpus means Config.Corpus holds no word the dictionary can
	// pronounce.
	ErrEmptyCorpus = errors.New("sphinx: corpus has no usable words")
)
