-- Converts a django_session that partition_django_session.up.sql
-- partitioned back into one plain table, with every row and the definition
-- it had before: the same columns, indexes, constraints, triggers, comments,
-- owner and grants, read from the catalog as the up script reads them.
--
--   psql -1 -v ON_ERROR_STOP=1 -f partition_django_session.down.sql
--
-- or "api partition-sessions down". It refuses, changing nothing, a table
-- that is not partitioned. Indexes made by hand on one partition only are
-- not carried over: the plain table gets those of the partitioned parent.
--
-- One DO block, so one transaction; it waits at most lock_timeout (10s) for
-- the table's ACCESS EXCLUSIVE lock, and holds it while the rows are copied.
DO $unpartition$
DECLARE
    old       regclass;
    kind      "char";
    cols      text;
    stmt      text;
    later     text[] := '{}';  -- what is recreated once the new table has the name
    r         record;
BEGIN
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
    IF kind <> 'p' THEN
        RAISE EXCEPTION 'django_session is not partitioned; nothing was changed'
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;

    -- The plain table, under a temporary name: columns, defaults, NOT NULL
    -- and CHECK constraints as the partitioned one has them; indexes come
    -- once the rows are in.
    EXECUTE 'CREATE TABLE django_session_plain (LIKE django_session INCLUDING DEFAULTS INCLUDING CONSTRAINTS'
        || ' INCLUDING GENERATED INCLUDING STORAGE INCLUDING COMMENTS INCLUDING COMPRESSION)';

    SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) INTO cols
        FROM pg_attribute WHERE attrelid = old AND attnum > 0 AND NOT attisdropped AND attgenerated = '';
    EXECUTE format('INSERT INTO django_session_plain (%s) SELECT %s FROM django_session', cols, cols);

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
        -- A partitioned index prints as "ON ONLY django_session", which on a
        -- plain table means nothing more than "ON".
        later := later || regexp_replace(r.def, ' ON ONLY ', ' ON ');
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
        EXECUTE format('ALTER SEQUENCE %s OWNED BY django_session_plain.%I', r.seq, r.attname);
    END LOOP;

    DROP TABLE django_session;  -- and its partitions
    ALTER TABLE django_session_plain RENAME TO django_session;
    FOREACH stmt IN ARRAY later LOOP
        EXECUTE stmt;
    END LOOP;
    -- The new table starts without statistics; clearsessions' range scan on
    -- expire_date wants them now rather than after autovacuum's next visit.
    ANALYZE django_session;
END
$unpartition$;
