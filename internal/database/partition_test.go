package database_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/djsessions/api/db/optional"
	"github.com/djsessions/api/internal/database"
	"github.com/djsessions/api/internal/testdb"
)

func TestPartitioningRoundTripsTheRowsAndTheTableDefinition(t *testing.T) {
	ctx := context.Background()
	db := testdb.Open(t, testdb.PostgresURL(t))
	// What a later migration might add, of every kind the scripts read from
	// the catalog rather than know by name.
	db.MustExec(`ALTER TABLE django_session ADD COLUMN tenant text NOT NULL DEFAULT 'main' CHECK (tenant <> '')`)
	db.MustExec(`CREATE INDEX django_session_tenant ON django_session (tenant, expire_date) WHERE user_id IS NOT NULL`)
	db.MustExec(`COMMENT ON INDEX django_session_tenant IS 'per tenant'`)
	db.MustExec(`COMMENT ON TABLE django_session IS 'Django''s sessions'`)
	db.MustExec(`COMMENT ON COLUMN django_session.tenant IS 'whose'`)
	db.MustExec(`GRANT SELECT ON django_session TO PUBLIC`)
	db.MustExec(`CREATE FUNCTION touch() RETURNS trigger AS $$ BEGIN NEW.last_activity := now(); RETURN NEW; END $$ LANGUAGE plpgsql`)
	db.MustExec(`CREATE TRIGGER django_session_touch BEFORE UPDATE ON django_session FOR EACH ROW EXECUTE FUNCTION touch()`)
	db.MustExec(`CREATE TABLE session_note (session_key varchar(40) REFERENCES django_session ON DELETE CASCADE)`)
	insertSessions(t, db, 500)
	db.MustExec(`INSERT INTO session_note VALUES ('key00000000000000000000000000042')`)
	plain, rows := definition(t, db), contents(t, db)

	if err := database.PartitionSessions(ctx, db, 8); err != nil {
		t.Fatal(err)
	}
	if n, err := database.SessionPartitions(ctx, db); err != nil || n != 8 {
		t.Fatalf("partitions after PartitionSessions(8): %d, %v", n, err)
	}
	if got := definition(t, db); got != plain {
		t.Fatalf("the partitioned table's definition differs from the plain one's:\n%s", diff(plain, got))
	}
	if got := contents(t, db); !slices.Equal(got, rows) {
		t.Fatalf("the partitioned table holds %d rows, not the %d there were", len(got), len(rows))
	}
	var spread int
	if err := db.Get(&spread, `SELECT count(DISTINCT tableoid) FROM django_session`); err != nil || spread != 8 {
		t.Fatalf("rows in %d partitions (%v); want all 8 used", spread, err)
	}
	// The foreign key now points at the partitioned table, and acts.
	db.MustExec(`DELETE FROM django_session WHERE session_key = 'key00000000000000000000000000042'`)
	db.MustExec(`INSERT INTO django_session (session_key, session_data, expire_date) VALUES ('key00000000000000000000000000042', 'data42', '2030-01-01T00:00:00Z')`)
	db.MustExec(`UPDATE django_session SET user_id = 42 WHERE session_key = 'key00000000000000000000000000042'`)
	if _, err := db.Exec(`INSERT INTO session_note VALUES ('no such session')`); err == nil {
		t.Fatal("the foreign key to django_session was lost")
	}
	rows = contents(t, db)

	if err := database.UnpartitionSessions(ctx, db); err != nil {
		t.Fatal(err)
	}
	if n, err := database.SessionPartitions(ctx, db); err != nil || n != 0 {
		t.Fatalf("partitions after UnpartitionSessions: %d, %v", n, err)
	}
	if got := definition(t, db); got != plain {
		t.Fatalf("the table's definition after down differs from before up:\n%s", diff(plain, got))
	}
	if got := contents(t, db); !slices.Equal(got, rows) {
		t.Fatalf("after down the table holds %d rows, not the %d there were", len(got), len(rows))
	}
	var leftover int
	db.Get(&leftover, `SELECT count(*) FROM pg_class WHERE relname ~ '^django_session_p[0-9]+$' AND relnamespace = current_schema()::regnamespace`)
	if leftover != 0 {
		t.Fatalf("%d partitions left after down", leftover)
	}
}

func TestPartitioningRefusesATableAlreadyInTheStateAsked(t *testing.T) {
	ctx := context.Background()
	db := testdb.Open(t, testdb.PostgresURL(t))
	if err := database.UnpartitionSessions(ctx, db); !errors.Is(err, database.ErrNotPartitioned) {
		t.Fatalf("unpartitioning a plain table: %v; want ErrNotPartitioned", err)
	}
	if err := database.PartitionSessions(ctx, db, 4); err != nil {
		t.Fatal(err)
	}
	if err := database.PartitionSessions(ctx, db, 16); !errors.Is(err, database.ErrAlreadyPartitioned) {
		t.Fatalf("partitioning twice: %v; want ErrAlreadyPartitioned", err)
	}
	// The script refuses on its own too, for whoever runs it with psql.
	_, err := db.Exec(optional.PartitionSessionsUp)
	if err == nil || !strings.Contains(err.Error(), "django_session is already partitioned (4 partitions); nothing was changed") {
		t.Fatalf("running the up script twice: %v; want a refusal", err)
	}
	if n, _ := database.SessionPartitions(ctx, db); n != 4 {
		t.Fatalf("%d partitions after the refusals; want the 4 there were", n)
	}
	if err := database.UnpartitionSessions(ctx, db); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(optional.PartitionSessionsDown); err == nil || !strings.Contains(err.Error(), "django_session is not partitioned") {
		t.Fatalf("running the down script on a plain table: %v; want a refusal", err)
	}
}

func TestPartitioningRejectsACountOutOfRange(t *testing.T) {
	db := testdb.Open(t, testdb.PostgresURL(t))
	for _, n := range []int{-1, 0, 1, 1025} {
		if err := database.PartitionSessions(context.Background(), db, n); err == nil || !strings.Contains(err.Error(), "from 2 to 1024") {
			t.Errorf("PartitionSessions(%d): %v; want the range named", n, err)
		}
	}
	// The script checks the setting itself, for psql.
	tx := db.MustBegin()
	defer tx.Rollback()
	tx.MustExec(`SET LOCAL djsessions.partitions = 'many'`)
	if _, err := tx.Exec(optional.PartitionSessionsUp); err == nil || !strings.Contains(err.Error(), "not a number of partitions from 2 to 1024") {
		t.Fatalf("the script with djsessions.partitions = 'many': %v", err)
	}
}

func TestPartitioningGivesUpWhenTheTableStaysLocked(t *testing.T) {
	t.Parallel() // it waits out the ten seconds of lock_timeout
	db := testdb.Open(t, testdb.PostgresURL(t))
	insertSessions(t, db, 3)
	// A long transaction that read a session holds the table's weakest lock,
	// which is enough to keep the conversion out.
	holder := db.MustBegin()
	defer holder.Rollback()
	holder.MustExec(`SELECT * FROM django_session`)

	start := time.Now()
	err := database.PartitionSessions(context.Background(), db, 4)
	if err == nil || !strings.Contains(err.Error(), "django_session is in use") {
		t.Fatalf("partitioning a locked table: %v; want it to give up", err)
	}
	if waited := time.Since(start); waited > 20*time.Second {
		t.Fatalf("gave up after %v; want about 10s", waited)
	}
	holder.Rollback()
	if n, _ := database.SessionPartitions(context.Background(), db); n != 0 {
		t.Fatalf("%d partitions after giving up; want the plain table untouched", n)
	}
}

func TestALookupBySessionKeyReadsOnePartition(t *testing.T) {
	db := testdb.Open(t, testdb.PostgresURL(t))
	insertSessions(t, db, 100)
	if err := database.PartitionSessions(context.Background(), db, 16); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`SELECT session_data, expire_date FROM django_session WHERE session_key = $1`,            // Django's load
		`SELECT session_data FROM django_session WHERE session_key = $1 AND expire_date > now()`, // dbstore's
		`UPDATE django_session SET session_data = 'x' WHERE session_key = $1`,
		`DELETE FROM django_session WHERE session_key = $1`,
	} {
		var plan []byte
		tx := db.MustBegin() // EXPLAIN ANALYZE is not run: the plan alone shows the pruning
		if err := tx.Get(&plan, `EXPLAIN (FORMAT JSON) `+q, "key00000000000000000000000000007"); err != nil {
			tx.Rollback()
			t.Fatalf("%s: %v", q, err)
		}
		tx.Rollback()
		if rels := relations(t, plan); len(rels) != 1 || !strings.HasPrefix(rels[0], "django_session_p") {
			t.Errorf("%s reads %v; want exactly one partition", q, rels)
		}
	}
}

func TestMigrationsStillApplyAndRevertOnAPartitionedTable(t *testing.T) {
	ctx := context.Background()
	url := testdb.PostgresURL(t)
	db := testdb.Open(t, url)
	if err := database.PartitionSessions(ctx, db, 4); err != nil {
		t.Fatal(err)
	}
	before := definition(t, db)
	// Down past migration 4, which drops the API's columns and index of
	// django_session, and up again, which adds them back: on the parent,
	// and so on every partition.
	m, err := database.NewMigrator(url)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if _, err := m.Down(4); err != nil {
		t.Fatalf("migrate down 4 on a partitioned table: %v", err)
	}
	if err := m.Up(); err != nil {
		t.Fatalf("migrate up on a partitioned table: %v", err)
	}
	if n, _ := database.SessionPartitions(ctx, db); n != 4 {
		t.Fatalf("%d partitions after migrate down and up; want 4", n)
	}
	if got := definition(t, db); got != before {
		t.Fatalf("definition after migrate down 4 and up:\n%s", diff(before, got))
	}
	// Down to version 0 drops the table, partitions and all, as it drops a
	// plain one.
	if _, err := m.Down(7); err != nil {
		t.Fatalf("migrate down to 0: %v", err)
	}
	if exists(t, db, "django_session") || exists(t, db, "django_session_p0") {
		t.Fatal("django_session or a partition outlived migrate down to version 0")
	}
}

func TestPartitioningIsForPostgreSQLOnly(t *testing.T) {
	ctx := context.Background()
	db := testdb.Open(t, testdb.SQLiteURL(t))
	if err := database.PartitionSessions(ctx, db, 16); !errors.Is(err, database.ErrNotPostgres) {
		t.Errorf("PartitionSessions on SQLite: %v", err)
	}
	if err := database.UnpartitionSessions(ctx, db); !errors.Is(err, database.ErrNotPostgres) {
		t.Errorf("UnpartitionSessions on SQLite: %v", err)
	}
	if _, err := database.SessionPartitions(ctx, db); !errors.Is(err, database.ErrNotPostgres) {
		t.Errorf("SessionPartitions on SQLite: %v", err)
	}
}

func insertSessions(t *testing.T, db *sqlx.DB, n int) {
	t.Helper()
	db.MustExec(`INSERT INTO django_session (session_key, session_data, expire_date, user_id, ip)
		SELECT 'key' || lpad(g::text, 29, '0'), 'data' || g, timestamptz '2030-01-01' + g * interval '1 minute',
		       CASE WHEN g % 3 = 0 THEN g END, '192.0.2.' || (g % 250)
		FROM generate_series(1, $1) g`, n)
}

// contents is every row of django_session, as text, in key order.
func contents(t *testing.T, db *sqlx.DB) []string {
	t.Helper()
	var rows []string
	if err := db.Select(&rows, `SELECT s::text FROM django_session s ORDER BY session_key`); err != nil {
		t.Fatal(err)
	}
	return rows
}

// definition is django_session as the catalog describes it: its columns,
// indexes, constraints, triggers, comments, owner and grants, one per line.
// A partitioned index prints "ON ONLY django_session" where a plain one
// prints "ON django_session"; that is the one difference it smooths over.
func definition(t *testing.T, db *sqlx.DB) string {
	t.Helper()
	var lines []string
	err := db.Select(&lines, `
		SELECT format('column %s %s notnull=%s default=%s generated=%s identity=%s collation=%s storage=%s compression=%s comment=%s',
		              attname, format_type(atttypid, atttypmod), attnotnull, pg_get_expr(d.adbin, d.adrelid),
		              attgenerated, attidentity, attcollation::regcollation, attstorage, attcompression,
		              col_description(a.attrelid, a.attnum))
		FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
		WHERE a.attrelid = 'django_session'::regclass AND a.attnum > 0 AND NOT a.attisdropped
		UNION ALL
		SELECT format('index %s comment=%s', regexp_replace(pg_get_indexdef(indexrelid), ' ON ONLY ', ' ON '),
		              obj_description(indexrelid, 'pg_class'))
		FROM pg_index WHERE indrelid = 'django_session'::regclass
		UNION ALL
		SELECT format('constraint %s %s %s', conname, contype, pg_get_constraintdef(oid))
		FROM pg_constraint WHERE conrelid = 'django_session'::regclass
		UNION ALL
		SELECT format('foreign key %s %s %s', conrelid::regclass, conname, pg_get_constraintdef(oid))
		FROM pg_constraint WHERE confrelid = 'django_session'::regclass AND contype = 'f' AND conparentid = 0
		UNION ALL
		SELECT 'trigger ' || pg_get_triggerdef(oid) FROM pg_trigger
		WHERE tgrelid = 'django_session'::regclass AND NOT tgisinternal
		UNION ALL
		SELECT format('table owner=%s acl=%s comment=%s', pg_get_userbyid(relowner), relacl,
		              obj_description(oid, 'pg_class'))
		FROM pg_class WHERE oid = 'django_session'::regclass
		ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Join(lines, "\n")
}

// relations are the tables a JSON plan scans; the target of an UPDATE or
// DELETE, the partitioned parent, is named but not read.
func relations(t *testing.T, plan []byte) []string {
	t.Helper()
	var doc []struct{ Plan map[string]any }
	if err := json.Unmarshal(plan, &doc); err != nil {
		t.Fatal(err)
	}
	var rels []string
	var walk func(node map[string]any)
	walk = func(node map[string]any) {
		if r, ok := node["Relation Name"].(string); ok && node["Node Type"] != "ModifyTable" {
			rels = append(rels, r)
		}
		children, _ := node["Plans"].([]any)
		for _, c := range children {
			if m, ok := c.(map[string]any); ok {
				walk(m)
			}
		}
	}
	for _, d := range doc {
		walk(d.Plan)
	}
	return rels
}

func diff(want, got string) string {
	return fmt.Sprintf("want:\n%s\ngot:\n%s", want, got)
}
