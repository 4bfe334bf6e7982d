DROP INDEX IF EXISTS "django_session_user_id";
ALTER TABLE "django_session" DROP COLUMN "user_id";
ALTER TABLE "django_session" DROP COLUMN "created_at";
ALTER TABLE "django_session" DROP COLUMN "last_activity";
ALTER TABLE "django_session" DROP COLUMN "ip";
ALTER TABLE "django_session" DROP COLUMN "user_agent";
