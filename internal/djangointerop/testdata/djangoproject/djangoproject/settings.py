"""Settings of the interop test project: a minimal Django site that shares
its database, SECRET_KEY and sessions with the API under test.

Everything that must match the API comes from the environment, under the
API's own variable names, so that both sides are configured from one place:

  DATABASE_URL                postgres://user[:pass]@host[:port]/db?search_path=SCHEMA
                              or sqlite:PATH (sqlite:///abs/path)
  SECRET_KEY                  required
  SESSION_ENGINE              db (default) or signed_cookies, or a dotted path
  SESSION_COOKIE_NAME         default sessionid
  SESSION_COOKIE_AGE          default 1209600
  PASSWORD_HASHER_ITERATIONS  PBKDF2 iterations of new hashes; default Django's
  SESSION_IDLE_TIMEOUT        seconds; default 7200, as the API's; 0 turns it off
"""
import os
from urllib.parse import parse_qs, unquote, urlsplit

SECRET_KEY = os.environ["SECRET_KEY"]
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
USE_TZ = True
TIME_ZONE = "UTC"

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "djangoproject.activity.IdleTimeoutMiddleware",
]
ROOT_URLCONF = "djangoproject.urls"
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"


def database(url):
    """DATABASES["default"] for the API's DATABASE_URL."""
    if url.startswith("sqlite:"):
        path = url[len("sqlite:"):]
        if path.startswith("//"):
            path = path[2:]
        return {"ENGINE": "django.db.backends.sqlite3", "NAME": path}
    u = urlsplit(url)
    query = {k: v[-1] for k, v in parse_qs(u.query).items()}
    db = {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": u.path.lstrip("/"),
        "USER": unquote(u.username or ""),
        "PASSWORD": unquote(u.password or ""),
        "HOST": u.hostname or "",
        "PORT": str(u.port or ""),
        "OPTIONS": {},
    }
    if "sslmode" in query:
        db["OPTIONS"]["sslmode"] = query["sslmode"]
    if "search_path" in query:
        # The API's tests give each test a schema of its own.
        db["OPTIONS"]["options"] = "-c search_path=" + query["search_path"]
    return db


DATABASES = {"default": database(os.environ["DATABASE_URL"])}

_engine = os.environ.get("SESSION_ENGINE", "db")
SESSION_ENGINE = _engine if "." in _engine else "django.contrib.sessions.backends." + _engine
SESSION_COOKIE_NAME = os.environ.get("SESSION_COOKIE_NAME", "sessionid")
SESSION_COOKIE_AGE = int(os.environ.get("SESSION_COOKIE_AGE", "1209600"))
SESSION_SERIALIZER = "django.contrib.sessions.serializers.JSONSerializer"
# Not a Django setting: the API's, read by activity.IdleTimeoutMiddleware.
SESSION_IDLE_TIMEOUT = int(os.environ.get("SESSION_IDLE_TIMEOUT", "7200"))

# ModelBackend first: the API vouches for its logins only. EmailBackend is
# there to show what becomes of another backend's logins (see backends.py).
AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend", "djangoproject.backends.EmailBackend"]
# PBKDF2 first, at the API's iteration count: a hasher at another count
# rewrites the hash at each login, which ends the user's other sessions.
PASSWORD_HASHERS = ["djangoproject.hashers.PBKDF2PasswordHasher"]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"stderr": {"class": "logging.StreamHandler"}},
    "loggers": {"django": {"handlers": ["stderr"], "level": "WARNING"}},
}
