// Package migrations holds the database schema as golang-migrate
// migrations, one directory per SQL dialect, embedded in the binary so that
// the API migrates its database on start without files beside it.
package migrations

import "embed"

// FS holds postgres/*.sql and sqlite/*.sql.
//
//go:embed postgres/*.sql sqlite/*.sql
var FS embed.FS
