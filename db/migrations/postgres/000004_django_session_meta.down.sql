DROP INDEX IF EXISTS django_session_user_id;
ALTER TABLE django_session
    DROP COLUMN IF EXISTS user_id,
    DROP COLUMN IF EXISTS created_at,
    DROP COLUMN IF EXISTS last_activity,
    DROP COLUMN IF EXISTS ip,
    DROP COLUMN IF EXISTS user_agent;
