package store

import "errors"

// ErrNotFound is returned when a tenant, document, key or conversation does
// not exist.
var ErrNotFound = errors.New("not found")

// ErrExists is returned when creating something whose ID is taken.
var ErrExists = errors.New("already exists")
