-- Failed logins, counted per username and per client address.
CREATE TABLE IF NOT EXISTS "auth_login_failure" (
    "id"        integer NOT NULL PRIMARY KEY AUTOINCREMENT,
    "scope"     varchar(8) NOT NULL,
    "subject"   varchar(255) NOT NULL,
    "failed_at" datetime NOT NULL
);
CREATE INDEX IF NOT EXISTS "auth_login_failure_subject"
    ON "auth_login_failure" ("scope", "subject", "failed_at");
