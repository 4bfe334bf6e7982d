-- What the API keeps beside a session for "my sessions"; nullable, so that
-- inserts of Django's three columns still succeed.
ALTER TABLE "django_session" ADD COLUMN "user_id" integer NULL;
ALTER TABLE "django_session" ADD COLUMN "created_at" datetime NULL;
ALTER TABLE "django_session" ADD COLUMN "last_activity" datetime NULL;
ALTER TABLE "django_session" ADD COLUMN "ip" varchar(45) NULL;
ALTER TABLE "django_session" ADD COLUMN "user_agent" varchar(255) NULL;
CREATE INDEX IF NOT EXISTS "django_session_user_id" ON "django_session" ("user_id");
