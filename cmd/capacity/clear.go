package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/djsessions/api/internal/session"
	"github.com/djsessions/api/internal/session/dbstore"
)

// clearBatch is cmd/api's batch for clearsessions, for the in-process run.
const clearBatch = 5000

// clearing is what one clearsessions run cost.
type clearing struct {
	seeded     int
	dataBytes  int
	deleted    int64 // expired rows before the run minus after it
	elapsed    time.Duration
	sizeBefore int64 // pg_total_relation_size of django_session
	sizeAfter  int64
	how        string
}

// clearer runs clearsessions once against the database.
type clearer struct {
	how string
	run func(ctx context.Context) error
}

// binaryClearer runs "<bin> clearsessions" with DATABASE_URL set: the
// command as cron runs it, process start included.
func binaryClearer(bin, databaseURL string, log io.Writer) clearer {
	return clearer{how: bin + " clearsessions", run: func(ctx context.Context) error {
		cmd := exec.CommandContext(ctx, bin, "clearsessions")
		// Only what clearing reads: the db engine, whose store holds the rows,
		// and a key, so that the API does not generate one into ./var.
		cmd.Env = append(os.Environ(), "DATABASE_URL="+databaseURL, "SESSION_ENGINE=db", "SECRET_KEY=clearsessions-signs-nothing")
		cmd.Stdout, cmd.Stderr = io.Discard, log
		return cmd.Run()
	}}
}

// inProcessClearer runs what the command runs, the session Manager's
// ClearExpired on the db store, in batches of cmd/api's size, without
// starting a process.
func inProcessClearer(db *sqlx.DB) clearer {
	// Clearing signs nothing: the key is never used.
	m := session.NewManager(dbstore.New(db), session.NewSigner(session.SaltStore, "unused"), session.Options{})
	return clearer{how: fmt.Sprintf("session.Manager.ClearExpired on dbstore, batches of %d (in process)", clearBatch), run: func(ctx context.Context) error {
		_, err := m.ClearExpired(ctx, clearBatch, nil)
		return err
	}}
}

// timeClear adds n sessions to django_session that expired a day ago,
// each with data as long as sample, owned and timed as logged-in sessions
// are, and times one clearsessions run.
func timeClear(ctx context.Context, db *sqlx.DB, n int, sample string, c clearer) (clearing, error) {
	res := clearing{seeded: n, dataBytes: len(sample), how: c.how}
	const batch = 100_000
	for done := 0; done < n; done += batch {
		_, err := db.ExecContext(ctx, `INSERT INTO django_session
			(session_key, session_data, expire_date, user_id, created_at, last_activity, ip, user_agent)
			SELECT md5(random()::text || clock_timestamp()::text), $1, now() - interval '1 day',
				i, now() - interval '15 days', now() - interval '1 day', '203.0.113.7', 'Mozilla/5.0 (capacity plan)'
			FROM generate_series(1, $2) AS i ON CONFLICT DO NOTHING`, sample, min(batch, n-done))
		if err != nil {
			return res, fmt.Errorf("seeding expired sessions: %w", err)
		}
	}
	if _, err := db.ExecContext(ctx, `ANALYZE django_session`); err != nil {
		return res, err
	}
	expired := func() (int64, error) {
		var k int64
		err := db.GetContext(ctx, &k, `SELECT count(*) FROM django_session WHERE expire_date < now()`)
		return k, err
	}
	was, err := expired()
	if err != nil {
		return res, err
	}
	if err := db.GetContext(ctx, &res.sizeBefore, `SELECT pg_total_relation_size('django_session')`); err != nil {
		return res, err
	}
	start := time.Now()
	if err := c.run(ctx); err != nil {
		return res, fmt.Errorf("%s: %w", c.how, err)
	}
	res.elapsed = time.Since(start)
	left, err := expired()
	if err != nil {
		return res, err
	}
	res.deleted = was - left
	err = db.GetContext(ctx, &res.sizeAfter, `SELECT pg_total_relation_size('django_session')`)
	return res, err
}

func (c clearing) print(w io.Writer) {
	fmt.Fprintf(w, "clearsessions: %d expired sessions seeded (session_data %d bytes, as the measured sessions'), %d deleted in %.2fs by %s: %.0f rows/s; django_session %d MiB before, %d MiB after (deleted rows' space is reused after vacuum, not returned)\n",
		c.seeded, c.dataBytes, c.deleted, c.elapsed.Seconds(), c.how, float64(c.deleted)/c.elapsed.Seconds(), c.sizeBefore>>20, c.sizeAfter>>20)
}
