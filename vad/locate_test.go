package vad

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestLocate(t *testing.T) {
	root := t.TempDir()
	rel := filepath.Join(".cache", "lib", "libtest.so")
	found := filepath.Join(root, rel)
	if err := os.MkdirAll(filepath.Dir(found), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(found, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	deep := filepath.Join(root, "a", "b", "c")
	if err := os.MkdirAll(deep, 0o755); err != nil {
		t.Fatal(err)
	}
	outside := t.TempDir()

	tests := []struct {
		name    string
		env     string
		wd      string
		want    string
		wantErr error
	}{
		{"in the working directory", "", root, found, nil},
		{"in a parent", "", deep, found, nil},
		{"from the environment", found, outside, found, nil},
		{"environment names no file", filepath.Join(outside, "nope.so"), root, "", ErrNotFound},
		{"nowhere", "", outside, "", ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("VOICED_TEST_LIB", tt.env)
			t.Chdir(tt.wd)
			got, err := Locate("VOICED_TEST_LIB", rel)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("got error %v, want %v", err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}
