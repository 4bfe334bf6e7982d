-- Profiles submitted through the multi-step form (the wizard); see the
-- PostgreSQL migration. SQLite does not enforce the lengths: the API does.
CREATE TABLE IF NOT EXISTS "profiles" (
    "id"            integer NOT NULL PRIMARY KEY AUTOINCREMENT,
    "user_id"       integer NULL REFERENCES "auth_user" ("id") ON DELETE SET NULL,
    "name"          varchar(100) NOT NULL,
    "email"         varchar(254) NOT NULL,
    "phone"         varchar(32) NOT NULL,
    "address"       varchar(200) NOT NULL,
    "city"          varchar(100) NOT NULL,
    "postal_code"   varchar(10) NOT NULL,
    "created_at"    datetime NOT NULL,
    "submission_id" text NOT NULL UNIQUE
);
CREATE INDEX IF NOT EXISTS "profiles_user_id" ON "profiles" ("user_id");
