-- Django's own django_session table, with Django's index names, so that a
-- Django project migrating the same database finds what it would create.
CREATE TABLE IF NOT EXISTS django_session (
    session_key  varchar(40) NOT NULL PRIMARY KEY,
    session_data text NOT NULL,
    expire_date  timestamp with time zone NOT NULL
);
CREATE INDEX IF NOT EXISTS django_session_expire_date_a5c62663
    ON django_session (expire_date);
CREATE INDEX IF NOT EXISTS django_session_session_key_c0390e0f_like
    ON django_session (session_key varchar_pattern_ops);
