package vad

import (
	"fmt"
	"path/filepath"
	"sync"

	ort "github.com/yalue/onnxruntime_go"
)

// ONNX Runtime keeps one environment per process and a process can load
// only one copy of its library, so the first Model loads it and every
// later one shares it. It stays loaded until the process exits: unloading
// it under a Model another goroutine is still creating would crash.
var runtimeLib struct {
	mu   sync.Mutex // guards path
	path string     // the library this package loaded; "" before
}

// loadRuntime loads the ONNX Runtime shared library at path unless this
// process already has it. A different path after the first is
// ErrLibraryMismatch; an environment set up by other code is taken as is.
func loadRuntime(path string) error {
	abs, err := filepath.Abs(path)
	if err != nil {
		return fmt.Errorf("load onnx runtime %s: %w", path, err)
	}

	runtimeLib.mu.Lock()
	defer runtimeLib.mu.Unlock()
	if ort.IsInitialized() {
		if runtimeLib.path != "" && runtimeLib.path != abs {
			return fmt.Errorf("load onnx runtime %s (have %s): %w",
				abs, runtimeLib.path, ErrLibraryMismatch)
		}
		return nil
	}

	ort.SetSharedLibraryPath(abs)
	if err := ort.InitializeEnvironment(ort.WithLogLevelWarning()); err != nil {
		return fmt.Errorf("load onnx runtime %s: %w", abs, err)
	}
	runtimeLib.path = abs
	return nil
}

// RuntimeVersion returns the version of the loaded ONNX Runtime library,
// "" before a Model has loaded it.
func RuntimeVersion() string {
	runtimeLib.mu.Lock()
	defer runtimeLib.mu.Unlock()
	if !ort.IsInitialized() {
		return ""
	}
	return ort.GetVersion()
}
