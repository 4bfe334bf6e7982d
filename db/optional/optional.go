// Package optional holds schema changes that are not migrations: each is
// applied by a person who decided to, with its own command, and is undone
// the same way. They are embedded so that the API binary carries them.
package optional

import _ "embed"

// PartitionSessionsUp converts django_session into a table partitioned by
// hash of session_key; the setting djsessions.partitions gives the number
// of partitions. See postgres/partition_django_session.up.sql.
//
//go:embed postgres/partition_django_session.up.sql
var PartitionSessionsUp string

// PartitionSessionsDown converts a partitioned django_session back into a
// plain table with the definition it had.
//
//go:embed postgres/partition_django_session.down.sql
var PartitionSessionsDown string
