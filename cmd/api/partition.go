package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/djsessions/api/internal/database"
)

// defaultPartitions is how many partitions "partition-sessions up" makes
// unless told: enough that each holds a few million of a table that needed
// partitioning, few enough that planning stays cheap.
const defaultPartitions = 16

// partitionSessionsCmd is "api partition-sessions status|up [-partitions N]|down",
// the optional hash partitioning of django_session (db/optional). Like
// clearsessions it needs only DATABASE_URL, and it migrates nothing.
func partitionSessionsCmd(ctx context.Context, args []string, cfg Config, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errors.New("partition-sessions: say status, up [-partitions N] or down")
	}
	action, args := args[0], args[1:]
	flags := flag.NewFlagSet("partition-sessions "+action, flag.ContinueOnError)
	flags.SetOutput(stderr)
	n := defaultPartitions
	if action == "up" {
		flags.IntVar(&n, "partitions", defaultPartitions, fmt.Sprintf("how many partitions, %d to %d", database.MinPartitions, database.MaxPartitions))
	}
	if err := flags.Parse(args); err != nil {
		return fmt.Errorf("partition-sessions %s: %w", action, err)
	}
	if flags.NArg() > 0 {
		return fmt.Errorf("partition-sessions %s: unexpected %q", action, flags.Args())
	}

	db, err := database.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return fmt.Errorf("DATABASE_URL: %w", err)
	}
	defer db.Close()
	start := time.Now()
	switch action {
	case "status":
	case "up":
		err = database.PartitionSessions(ctx, db, n)
	case "down":
		err = database.UnpartitionSessions(ctx, db)
	default:
		return fmt.Errorf("partition-sessions: unknown action %q; say status, up [-partitions N] or down", action)
	}
	if err != nil {
		return err
	}
	if action != "status" {
		fmt.Fprintf(stdout, "converted django_session in %v\n", time.Since(start).Round(time.Millisecond))
	}
	have, err := database.SessionPartitions(ctx, db)
	if err != nil {
		return err
	}
	if have == 0 {
		fmt.Fprintln(stdout, "django_session is a plain table")
	} else {
		fmt.Fprintf(stdout, "django_session is partitioned by hash of session_key into %d partitions\n", have)
	}
	return nil
}
