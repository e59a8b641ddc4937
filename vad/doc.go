// Package vad detects speech in a call's audio with the Silero VAD v5
// model run by ONNX Runtime, and turns the model's per-window speech
// probabilities into the events the turn controller acts on: speech start,
// pause, resume and speech end.
//
// A Model is loaded once per process and shared by every call. Each call
// owns a Detector, which cuts its 20 ms frames into the 32 ms windows the
// model takes, keeps the model's recurrent state and runs the state
// machine. Detectors submit their windows to the Model, which runs the
// windows that arrive together as one batch, on the goroutine of one of
// the submitters: at low load a window runs alone as soon as it arrives,
// under load the windows that queue while a batch runs go into the next
// one, which costs about half as much per window. Model.Infer and
// Model.InferBatch run the model directly for callers that form batches
// themselves.
//
// Event times are offsets in the stream counted from the samples pushed,
// so they are exact and need no clock.
//
// The ONNX Runtime shared library and the model file come from
// scripts/setup.sh (.cache/lib/libonnxruntime.so.1 and
// .cache/models/silero_vad.onnx); LocateLibrary and LocateModel find them.
package vad
