package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"time"

	"github.com/djsessions/api/internal/auth"
	"github.com/djsessions/api/internal/database"
)

// clearBatch is how many expired sessions one statement deletes: small
// enough that a huge backlog never locks the table for long.
const clearBatch = 5000

// migrateCmd is "api migrate up|down [N]|version".
func migrateCmd(args []string, cfg Config, stdout io.Writer) error {
	if len(args) == 0 {
		return fmt.Errorf("migrate: say up, down [N] or version")
	}
	m, err := database.NewMigrator(cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer m.Close()
	switch args[0] {
	case "up":
		if err := m.Up(); err != nil {
			return err
		}
	case "down":
		n := 1
		if len(args) > 1 {
			if n, err = strconv.Atoi(args[1]); err != nil || n < 1 {
				return fmt.Errorf("migrate down: %q is not a positive number of steps", args[1])
			}
		}
		kept, err := m.Down(n)
		for _, k := range kept {
			fmt.Fprintln(stdout, k)
		}
		if err != nil {
			return err
		}
	case "version":
	default:
		return fmt.Errorf("migrate: unknown action %q; say up, down [N] or version", args[0])
	}
	v, dirty, err := m.Version()
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "schema version %d", v)
	if dirty {
		fmt.Fprint(stdout, " (dirty: a migration failed halfway; fix it by hand, then force the version)")
	}
	fmt.Fprintln(stdout)
	return nil
}

// clearSessions is Django's clearsessions: it deletes expired sessions in
// batches and reports progress, so that a large backlog is visibly moving.
func clearSessions(ctx context.Context, cfg Config, logger *slog.Logger, stdout io.Writer) error {
	// Nothing is signed or migrated here: clearing needs neither the key
	// nor a schema change, and cron must not apply migrations by surprise.
	db, err := database.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return fmt.Errorf("DATABASE_URL: %w", err)
	}
	defer db.Close()
	eng, err := newEngine(cfg, db, logger, nil)
	if err != nil {
		return err
	}
	defer eng.Close()
	sessions := eng.Sessions
	old, err := auth.NewThrottle(db, auth.ThrottleLimits{Window: cfg.LoginFailureWindow}).Prune(ctx, time.Now())
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "deleted %d failed-login records past the window\n", old)
	n, err := sessions.ClearExpired(ctx, clearBatch, func(total int) {
		fmt.Fprintf(stdout, "deleted %d expired sessions so far\n", total)
	})
	fmt.Fprintf(stdout, "deleted %d expired sessions\n", n)
	return err
}
