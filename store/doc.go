// Package store persists tenants, API keys, documents and their chunks,
// conversations and turns. The Store interface is what the rest of voiced
// uses; OpenSQLite implements it on a single SQLite file with full-text
// search, WAL journaling and versioned migrations.
package store
