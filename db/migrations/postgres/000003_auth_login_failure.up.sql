-- Failed logins, counted per username and per client address over
-- LOGIN_FAILURE_WINDOW; in the database so that every API process counts
-- the same attempts.
CREATE TABLE IF NOT EXISTS auth_login_failure (
    id        bigserial NOT NULL PRIMARY KEY,
    scope     varchar(8) NOT NULL,      -- 'user' or 'addr'
    subject   varchar(255) NOT NULL,    -- the username or the address
    failed_at timestamp with time zone NOT NULL
);
CREATE INDEX IF NOT EXISTS auth_login_failure_subject
    ON auth_login_failure (scope, subject, failed_at);
