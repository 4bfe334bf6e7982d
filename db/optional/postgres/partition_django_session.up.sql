-- Converts django_session into a table PARTITION BY HASH (session_key) with
-- N partitions, django_session_p0 .. django_session_p<N-1>, where N is the
-- setting djsessions.partitions (default 16, from 2 to 1024):
--
--   psql -1 -v ON_ERROR_STOP=1 -c 'SET LOCAL djsessions.partitions = 32' \
--        -f partition_django_session.up.sql
--
-- or "api partition-sessions up -partitions 32". Django needs no change: it
-- reads and writes by session_key and deletes by expire_date, and PostgreSQL
-- routes both to the partitions.
--
-- Everything the table has is read from the catalog, not written out here,
-- so that columns and indexes a later migration adds are carried over: the
-- columns with their types, defaults, NOT NULL and CHECK constraints (LIKE),
-- the indexes, primary key and other constraints under their own names,
-- triggers, comments, the owner and the grants, and foreign keys of other
-- tables that point at it. It refuses, changing nothing, a table that is
-- already partitioned and one with things it would not carry over.
--
-- It is one DO block, so one transaction even in autocommit: the table is
-- either converted with every row or left as it was. It takes the table's
-- ACCESS EXCLUSIVE lock first and waits at most lock_timeout (10s) for it,
-- so that it fails instead of queueing every request behind a long session.
-- The copy holds the lock: requests wait for it, about 13 s per million rows
-- (db/optional/README.md).
DO $partition$
DECLARE
    n         int;
    setting   text := current_setting('djsessions.partitions', true);
    old       regclass;
    kind      "char";
    cols      text;
    stmt      text;
    later     text[] := '{}';  -- what is recreated once the new table has the name
    r         record;
BEGIN
    IF setting IS NULL OR setting = '' THEN
        n := 16;
    ELSIF setting !~ '^\s*[0-9]{1,5}\s*$' OR setting::int NOT BETWEEN 2 AND 1024 THEN
        RAISE EXCEPTION 'djsessions.partitions is %, not a number of partitions from 2 to 1024', setting;
    ELSE
        n := setting::int;
    END IF;

    old := to_regclass('django_session');
    IF old IS NULL THEN
        RAISE EXCEPTION 'there is no django_session table in schema %; run the migrations first', current_schema();
    END IF;

    PERFORM set_config('lock_timeout', '10s', true);
    BEGIN
        LOCK TABLE django_session IN ACCESS EXCLUSIVE MODE;
    EXCEPTION WHEN lock_not_available THEN
        RAISE EXCEPTION 'django_session is in use: no lock on it within 10s; nothing was changed, try again when it is quieter';
    END;

    SELECT c.relkind INTO kind FROM pg_class c WHERE c.oid = old;
    IF kind = 'p' THEN
        RAISE EXCEPTION 'django_session is already partitioned (% partitions); nothing was changed (to change the count, run the down script first)',
            (SELECT count(*) FROM pg_inherits WHERE inhparent = old)
            USING ERRCODE = 'object_not_in_prerequisite_state';
    ELSIF kind <> 'r' THEN
        RAISE EXCEPTION 'django_session is not a table (relkind %); nothing was changed', kind;
    END IF;

    -- What this script would silently lose, it refuses instead.
    IF EXISTS (SELECT FROM pg_attribute WHERE attrelid = old AND attnum > 0 AND NOT attisdropped AND attidentity <> '') THEN
        RAISE EXCEPTION 'django_session has an identity column, which this script does not carry over; nothing was changed';
    END IF;
    IF EXISTS (SELECT FROM pg_inherits WHERE inhrelid = old OR inhparent = old)
       OR EXISTS (SELECT FROM pg_class WHERE oid = old AND (relrowsecurity OR relhasrules)) THEN
        RAISE EXCEPTION 'django_session has inheritance, rules or row-level security, which this script does not carry over; nothing was changed';
    END IF;

    -- The new table, under a temporary name: columns, defaults, NOT NULL and
    -- CHECK constraints as the old one has them; indexes come later, once
    -- the rows are in, which is faster than keeping them up to date.
    EXECUTE 'CREATE TABLE django_session_partitioned (LIKE django_session INCLUDING DEFAULTS INCLUDING CONSTRAINTS'
        || ' INCLUDING GENERATED INCLUDING STORAGE INCLUDING COMMENTS INCLUDING COMPRESSION)'
        || ' PARTITION BY HASH (session_key)';
    FOR i IN 0 .. n - 1 LOOP
        EXECUTE format('CREATE TABLE %I PARTITION OF django_session_partitioned FOR VALUES WITH (MODULUS %s, REMAINDER %s)',
            'django_session_p' || i, n, i);
    END LOOP;

    SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) INTO cols
        FROM pg_attribute WHERE attrelid = old AND attnum > 0 AND NOT attisdropped AND attgenerated = '';
    EXECUTE format('INSERT INTO django_session_partitioned (%s) SELECT %s FROM django_session', cols, cols);

    -- Constraints with an index (primary key, unique, exclusion) and foreign
    -- keys, under their names; then the other indexes; each as the catalog
    -- prints it, which names "django_session", the name the new table takes.
    FOR r IN SELECT conname, pg_get_constraintdef(oid) AS def FROM pg_constraint
             WHERE conrelid = old AND contype IN ('p', 'u', 'x', 'f') ORDER BY contype = 'f', conname LOOP
        later := later || format('ALTER TABLE django_session ADD CONSTRAINT %I %s', r.conname, r.def);
    END LOOP;
    FOR r IN SELECT i.indexrelid, pg_get_indexdef(i.indexrelid) AS def FROM pg_index i
             WHERE i.indrelid = old
               AND NOT EXISTS (SELECT FROM pg_constraint c WHERE c.conindid = i.indexrelid AND c.conrelid = old)
             ORDER BY i.indexrelid::regclass::text LOOP
        later := later || r.def;
    END LOOP;
    FOR r IN SELECT c.relname, d.description FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
             JOIN pg_description d ON d.objoid = i.indexrelid AND d.classoid = 'pg_class'::regclass AND d.objsubid = 0
             WHERE i.indrelid = old LOOP
        later := later || format('COMMENT ON INDEX %I IS %L', r.relname, r.description);
    END LOOP;
    FOR r IN SELECT pg_get_triggerdef(oid) AS def FROM pg_trigger WHERE tgrelid = old AND NOT tgisinternal ORDER BY tgname LOOP
        later := later || r.def;
    END LOOP;
    FOR r IN SELECT description FROM pg_description WHERE objoid = old AND classoid = 'pg_class'::regclass AND objsubid = 0 LOOP
        later := later || format('COMMENT ON TABLE django_session IS %L', r.description);
    END LOOP;
    FOR r IN SELECT pg_get_userbyid(relowner) AS owner FROM pg_class WHERE oid = old LOOP
        later := later || format('ALTER TABLE django_session OWNER TO %I', r.owner);
    END LOOP;
    FOR r IN SELECT a.grantee, a.privilege_type, a.is_grantable FROM pg_class c, aclexplode(c.relacl) a
             WHERE c.oid = old AND a.grantee <> c.relowner LOOP
        later := later || format('GRANT %s ON django_session TO %s%s', r.privilege_type,
            CASE WHEN r.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(r.grantee)) END,
            CASE WHEN r.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END);
    END LOOP;

    -- Other tables' foreign keys to django_session point at the old table:
    -- they are dropped with it and made again against the new one.
    FOR r IN SELECT conrelid::regclass AS tab, conname, pg_get_constraintdef(oid) AS def FROM pg_constraint
             WHERE confrelid = old AND conrelid <> old AND contype = 'f' LOOP
        EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %I', r.tab, r.conname);
        later := later || format('ALTER TABLE %s ADD CONSTRAINT %I %s', r.tab, r.conname, r.def);
    END LOOP;
    -- A sequence a column owns (serial) would go with the old table.
    FOR r IN SELECT d.objid::regclass AS seq, a.attname FROM pg_depend d
             JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
             WHERE d.refobjid = old AND d.classid = 'pg_class'::regclass AND d.deptype = 'a'
               AND (SELECT relkind FROM pg_class WHERE oid = d.objid) = 'S' LOOP
        EXECUTE format('ALTER SEQUENCE %s OWNED BY django_session_partitioned.%I', r.seq, r.attname);
    END LOOP;

    DROP TABLE django_session;
    ALTER TABLE django_session_partitioned RENAME TO django_session;
    FOREACH stmt IN ARRAY later LOOP
        EXECUTE stmt;
    END LOOP;
    -- The partitions start without statistics; clearsessions' range scan on
    -- expire_date wants them now rather than after autovacuum's next visit.
    ANALYZE django_session;
END
$partition$;
