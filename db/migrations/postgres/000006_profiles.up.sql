-- Profiles submitted through the multi-step form (the wizard). user_id is the
-- logged-in user who submitted it, NULL for an anonymous submit or once the
-- user is deleted. submission_id is the wizard's idempotency key: a submit
-- retried, or sent twice at once, finds the row of the first instead of
-- making a second.
CREATE TABLE IF NOT EXISTS profiles (
    id            bigserial NOT NULL PRIMARY KEY,
    user_id       integer NULL REFERENCES auth_user (id) ON DELETE SET NULL,
    name          varchar(100) NOT NULL,
    email         varchar(254) NOT NULL,
    phone         varchar(32) NOT NULL,
    address       varchar(200) NOT NULL,
    city          varchar(100) NOT NULL,
    postal_code   varchar(10) NOT NULL,
    created_at    timestamp with time zone NOT NULL,
    submission_id text NOT NULL UNIQUE
);
CREATE INDEX IF NOT EXISTS profiles_user_id ON profiles (user_id);
