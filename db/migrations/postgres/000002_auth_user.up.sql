-- Django's auth_user, as Django's own migrations leave it, so that users are
-- shared with a Django project on the same database.
CREATE TABLE IF NOT EXISTS auth_user (
    id           serial NOT NULL PRIMARY KEY,
    password     varchar(128) NOT NULL,
    last_login   timestamp with time zone NULL,
    is_superuser boolean NOT NULL,
    username     varchar(150) NOT NULL UNIQUE,
    first_name   varchar(150) NOT NULL,
    last_name    varchar(150) NOT NULL,
    email        varchar(254) NOT NULL,
    is_staff     boolean NOT NULL,
    is_active    boolean NOT NULL,
    date_joined  timestamp with time zone NOT NULL
);
CREATE INDEX IF NOT EXISTS auth_user_username_6821ab7c_like
    ON auth_user (username varchar_pattern_ops);
