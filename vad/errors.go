package vad

import "errors"

// Sentinel errors of the vad package.
var (
	// ErrNotFound means the ONNX Runtime library or the model file was not
	// given and could not be found in the usual places.
	ErrNotFound = errors.New("vad: file not found")
	// ErrLibraryMismatch means a Model asked for an ONNX Runtime library
	// other than the one this process has already loaded: a process can
	// hold only one.
	ErrLibraryMismatch = errors.New("vad: another onnx runtime library is already loaded")
	// ErrSampleRate means a rate other than 8000 or 16000 Hz.
	ErrSampleRate = errors.New("vad: sample rate must be 8000 or 16000 Hz")
	// ErrWindowSize means a window given to Infer or InferBatch does not
	// hold InputSize(rate) samples.
	ErrWindowSize = errors.New("vad: window has the wrong number of samples")
	// ErrBatchSize means the slices given to InferBatch differ in length.
	ErrBatchSize = errors.New("vad: windows, states and probabilities differ in length")
	// ErrClosed is returned by a Model used after Close.
	ErrClosed = errors.New("vad: model closed")
	// ErrConfig means a Config or ModelConfig holds a value out of range.
	ErrConfig = errors.New("vad: invalid config")
)
