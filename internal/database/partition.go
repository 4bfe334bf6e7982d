package database

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/jmoiron/sqlx"

	"github.com/djsessions/api/db/optional"
)

// The number of partitions PartitionSessions accepts. Fewer than two is no
// partitioning; past a thousand, planning a query over the partitions costs
// more than the smaller ones save.
const (
	MinPartitions = 2
	MaxPartitions = 1024
)

var (
	// ErrNotPostgres reports a partitioning asked of a database that is not
	// PostgreSQL: SQLite has no partitioned tables.
	ErrNotPostgres = errors.New("database: partitioning django_session needs PostgreSQL")
	// ErrAlreadyPartitioned reports a PartitionSessions of a table that is
	// partitioned already; to change the count, unpartition it first.
	ErrAlreadyPartitioned = errors.New("database: django_session is already partitioned")
	// ErrNotPartitioned reports an UnpartitionSessions of a plain table.
	ErrNotPartitioned = errors.New("database: django_session is not partitioned")
)

// PartitionSessions converts django_session into a table partitioned by hash
// of session_key into n partitions, django_session_p0 to p<n-1>, keeping its
// rows and its definition; see db/optional. It holds the table's lock while
// it copies the rows, and gives up, changing nothing, if it cannot take that
// lock within ten seconds.
func PartitionSessions(ctx context.Context, db *sqlx.DB, n int) error {
	if n < MinPartitions || n > MaxPartitions {
		return fmt.Errorf("database: %d partitions: the number must be from %d to %d", n, MinPartitions, MaxPartitions)
	}
	return convertSessions(ctx, db, optional.PartitionSessionsUp, n)
}

// UnpartitionSessions converts a partitioned django_session back into a
// plain table with the same rows and definition.
func UnpartitionSessions(ctx context.Context, db *sqlx.DB) error {
	return convertSessions(ctx, db, optional.PartitionSessionsDown, 0)
}

// SessionPartitions returns the number of partitions of django_session, 0
// when it is a plain table.
func SessionPartitions(ctx context.Context, db *sqlx.DB) (int, error) {
	if db.DriverName() != Postgres {
		return 0, ErrNotPostgres
	}
	var n int
	err := db.GetContext(ctx, &n, `SELECT count(i.inhrelid) FROM pg_class c
		LEFT JOIN pg_inherits i ON i.inhparent = c.oid
		WHERE c.oid = to_regclass('django_session') AND c.relkind = 'p'`)
	if err != nil {
		return 0, fmt.Errorf("database: counting the partitions of django_session: %w", err)
	}
	return n, nil
}

// convertSessions runs script in a transaction of its own, with n as the
// setting djsessions.partitions when it is not 0. The script refuses a table
// in the wrong state too; asking first turns the usual case into an error
// callers can match.
func convertSessions(ctx context.Context, db *sqlx.DB, script string, n int) error {
	have, err := SessionPartitions(ctx, db)
	if err != nil {
		return err
	}
	switch {
	case n != 0 && have != 0:
		return fmt.Errorf("%w (%d partitions); unpartition it first to change the count", ErrAlreadyPartitioned, have)
	case n == 0 && have == 0:
		return ErrNotPartitioned
	}
	tx, err := db.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("database: %w", err)
	}
	defer tx.Rollback()
	if n != 0 {
		if _, err := tx.ExecContext(ctx, `SELECT set_config('djsessions.partitions', $1, true)`, strconv.Itoa(n)); err != nil {
			return fmt.Errorf("database: %w", err)
		}
	}
	if _, err := tx.ExecContext(ctx, script); err != nil {
		return fmt.Errorf("database: converting django_session: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("database: converting django_session: %w", err)
	}
	return nil
}
