package main

import (
	"context"
	"fmt"
	"io"
	"os/exec"
	"time"
)

// seed adds n sessions to django_session that expire after expiresIn
// (negative: already expired), with keys no client knows and data no API
// reads: a table as full as a busy site's, for the scenarios that measure
// whether its size matters, and for clearsessions to clear.
func (h *harness) seed(ctx context.Context, n int, expiresIn time.Duration) error {
	if h.db == nil {
		return fmt.Errorf("seeding needs -database-url")
	}
	const batch = 100_000
	for done := 0; done < n; done += batch {
		size := min(batch, n-done)
		_, err := h.db.ExecContext(ctx, `INSERT INTO django_session (session_key, session_data, expire_date)
			SELECT md5(random()::text || clock_timestamp()::text), 'seeded by loadtest', now() + $1 * interval '1 second'
			FROM generate_series(1, $2) ON CONFLICT DO NOTHING`, int64(expiresIn/time.Second), size)
		if err != nil {
			return fmt.Errorf("seeding django_session: %w", err)
		}
		fmt.Fprintf(h.log, "\rseeded %d of %d sessions   ", done+size, n)
	}
	fmt.Fprintf(h.log, "\r%-40s\r", "")
	_, err := h.db.ExecContext(ctx, `ANALYZE django_session`)
	return err
}

// during runs command (through sh) beside a run, and reports how long it
// took, so that a run can show what, say, clearsessions does to the traffic.
func during(ctx context.Context, command string, log io.Writer) (wait func() string) {
	if command == "" {
		return func() string { return "" }
	}
	start := time.Now()
	cmd := exec.CommandContext(ctx, "sh", "-c", command)
	cmd.Stdout, cmd.Stderr = io.Discard, log
	done := make(chan error, 1)
	if err := cmd.Start(); err != nil {
		return func() string { return fmt.Sprintf("-during did not start: %v", err) }
	}
	go func() { done <- cmd.Wait() }()
	return func() string {
		err := <-done
		status := "ok"
		if err != nil {
			status = err.Error()
		}
		return fmt.Sprintf("-during %q: %s in %.1fs", command, status, time.Since(start).Seconds())
	}
}
