"""Load and save sessions with Django's own signed_cookies backend, for the Go tests.

Usage: django_signed_cookies.py --secret KEY

Reads one JSON object per line on stdin, writes one per line on stdout:

  {"load": COOKIE}  -> {"got": canonical(SessionStore(session_key=COOKIE).load())}
  {"save": OBJECT}  -> {"cookie": the session_key Django issues for a session holding OBJECT}

canonical() is json.dumps with sorted keys; a cookie Django refuses loads as {}.
"""

import argparse
import json
import sys

import django
from django.conf import settings


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--secret", required=True)
    args = parser.parse_args()
    settings.configure(
        SECRET_KEY=args.secret,
        SESSION_ENGINE="django.contrib.sessions.backends.signed_cookies",
        INSTALLED_APPS=["django.contrib.sessions"],
    )
    django.setup()

    from django.contrib.sessions.backends.signed_cookies import SessionStore

    for line in sys.stdin.buffer:
        case = json.loads(line.decode("utf-8"))
        if "load" in case:
            got = SessionStore(session_key=case["load"]).load()
            out = {"got": json.dumps(got, sort_keys=True, separators=(",", ":"))}
        else:
            s = SessionStore()
            s.update(case["save"])
            s.save()
            out = {"cookie": s.session_key}
        print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
