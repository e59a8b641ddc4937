// Package sphinx is the local speech recognizer of the embedded default:
// CMU pocketsphinx (the 5prealpha C library that Debian ships), bound with
// cgo. It needs the Debian packages libpocketsphinx-dev to build and
// pocketsphinx-en-us for its US English model.
//
// A Recognizer keeps a pool of decoders, since the 5prealpha API loads the
// acoustic model into each decoder and cannot share it. A session borrows
// one for an utterance and decodes as audio is written, so Finish only has
// the last frames left to search.
//
// Recognition can be biased toward a knowledge base: Config.Corpus builds
// a trigram model of its text and interpolates it with the generic model.
package sphinx
