-- What the API keeps beside a session for "my sessions": whose it is, when
-- it began and was last used, from where. Nullable and without defaults, so
-- that Django's own INSERTs (of its three columns) still succeed.
ALTER TABLE django_session
    ADD COLUMN IF NOT EXISTS user_id       integer NULL,
    ADD COLUMN IF NOT EXISTS created_at    timestamp with time zone NULL,
    ADD COLUMN IF NOT EXISTS last_activity timestamp with time zone NULL,
    ADD COLUMN IF NOT EXISTS ip            varchar(45) NULL,
    ADD COLUMN IF NOT EXISTS user_agent    varchar(255) NULL;
CREATE INDEX IF NOT EXISTS django_session_user_id ON django_session (user_id);
