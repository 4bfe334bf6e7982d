// Command api is the session API server and its maintenance commands.
//
//	api [serve]                 start the API (the default)
//	api migrate up|down [N]|version
//	api clearsessions           delete expired sessions, as Django's command
//	api partition-sessions status|up [-partitions N]|down
//	api createuser NAME [EMAIL] create a user; the password is read from stdin
//	api healthcheck [PATH]      exit 0 if the local API answers PATH (/readyz) with 2xx
package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
)

const usage = `usage: api [command]

commands:
  serve                  start the API (the default)
  migrate up             apply every pending migration
  migrate down [N]       revert the last N migrations (default 1); tables that
                         a Django project's migrations created are kept
  migrate version        print the schema version
  clearsessions          delete expired sessions, in batches
  partition-sessions status|up [-partitions N]|down
                         hash-partition django_session into N partitions
                         (default 16) or back; PostgreSQL only, optional: see
                         db/optional/README.md
  createuser NAME [EMAIL]
                         create a user; the password is asked for on a terminal,
                         or read as one line from standard input (never a flag)
  healthcheck [PATH]     exit 0 if the API on LISTEN_ADDR answers PATH (default
                         /readyz) with 2xx: the container's health check

Configuration comes from the environment; see README.md.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		<-ctx.Done()
		stop() // a second signal kills at once, for when shutdown hangs
	}()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "api:", err)
		os.Exit(1)
	}
}

// run is the whole program, with its environment passed in so that tests
// can run it as it runs in production.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	cmd := "serve"
	if len(args) > 0 {
		cmd, args = args[0], args[1:]
	}
	if cmd == "help" || cmd == "-h" || cmd == "--help" {
		fmt.Fprint(stdout, usage)
		return nil
	}

	cfg, err := loadConfig(getenv)
	if err != nil {
		return fmt.Errorf("configuration:\n%w", err)
	}
	logger := slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: cfg.LogLevel}))

	switch cmd {
	case "serve":
		return serve(ctx, cfg, logger, nil)
	case "migrate":
		return migrateCmd(args, cfg, stdout)
	case "clearsessions":
		return clearSessions(ctx, cfg, logger, stdout)
	case "partition-sessions":
		return partitionSessionsCmd(ctx, args, cfg, stdout, stderr)
	case "createuser":
		return createUser(ctx, args, cfg, stdin, stdout)
	case "healthcheck":
		return healthcheck(ctx, args, cfg, stdout)
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", cmd)
}
