package vad

import (
	"fmt"
	"os"
	"path/filepath"
)

// Where scripts/setup.sh puts the runtime and the model, relative to the
// repository root, and the environment variables that override them.
const (
	// LibraryEnv names the environment variable that holds the path of the
	// ONNX Runtime shared library.
	LibraryEnv = "VOICED_ORT_LIB"
	// ModelEnv names the environment variable that holds the path of the
	// Silero VAD model.
	ModelEnv = "VOICED_VAD_MODEL"
	// LibraryFile is where scripts/setup.sh puts the ONNX Runtime library.
	LibraryFile = ".cache/lib/libonnxruntime.so.1"
	// ModelFile is where scripts/setup.sh puts the Silero VAD v5 model.
	ModelFile = ".cache/models/silero_vad.onnx"
)

// LocateLibrary finds the ONNX Runtime shared library: the path in
// $VOICED_ORT_LIB, else LibraryFile below the working directory or one of
// its parents, else LibraryFile beside the executable or below one of its
// parents. The server passes ModelConfig.LibraryPath explicitly; this is
// for tests and tools run from inside the repository.
func LocateLibrary() (string, error) { return Locate(LibraryEnv, LibraryFile) }

// LocateModel finds the Silero VAD model the way LocateLibrary finds the
// library, with $VOICED_VAD_MODEL and ModelFile.
func LocateModel() (string, error) { return Locate(ModelEnv, ModelFile) }

// Locate returns the path in the environment variable env when it is set,
// else the first existing file rel found by walking up from the working
// directory, else from the directory of the running executable. An env
// that is set but names no file is an error rather than a fallback, so a
// typo does not silently load something else.
func Locate(env, rel string) (string, error) {
	if p := os.Getenv(env); p != "" {
		if !isFile(p) {
			return "", fmt.Errorf("locate $%s=%s: %w", env, p, ErrNotFound)
		}
		return p, nil
	}

	var starts []string
	if wd, err := os.Getwd(); err == nil {
		starts = append(starts, wd)
	}
	if exe, err := os.Executable(); err == nil {
		starts = append(starts, filepath.Dir(exe))
	}
	for _, dir := range starts {
		if p, ok := walkUp(dir, rel); ok {
			return p, nil
		}
	}
	return "", fmt.Errorf("locate %s (set $%s or run scripts/setup.sh): %w", rel, env, ErrNotFound)
}

// walkUp looks for rel in dir and each of its parents.
func walkUp(dir, rel string) (string, bool) {
	for {
		p := filepath.Join(dir, rel)
		if isFile(p) {
			return p, true
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", false
		}
		dir = parent
	}
}

func isFile(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular()
}
