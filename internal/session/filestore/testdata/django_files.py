"""Read and write session files with real Django's file backend, for the Go tests.

Usage: django_files.py --secret KEY --path DIR --age SECONDS

Reads one JSON object per line on stdin and writes one JSON object per line
on stdout, in the same order, so that one process serves a whole test:

  {"op": "load", "key": K}
      -> {"expiry_age": SECONDS, "data": DATA}
         what Django makes of the file of K: the seconds until the session
         expires, judged as its file backend judges it (<= 0: expired), then
         the data its load() returns ({} for an expired session, whose file
         it removes)
  {"op": "save", "data": OBJ} -> {"key": K}
         a new session holding OBJ, saved as Django saves it
  {"op": "clear_expired"} -> {"files": [NAME, ...]}
         what is left in DIR after Django's clearsessions
"""

import argparse
import json
import os
import sys

import django
from django.conf import settings


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--secret", required=True)
    parser.add_argument("--path", required=True)
    parser.add_argument("--age", type=int, required=True)
    args = parser.parse_args()

    settings.configure(
        SECRET_KEY=args.secret,
        SESSION_ENGINE="django.contrib.sessions.backends.file",
        SESSION_FILE_PATH=args.path,
        SESSION_COOKIE_AGE=args.age,
        USE_TZ=True,
    )
    django.setup()

    from django.contrib.sessions.backends.file import SessionStore

    def load(key):
        store = SessionStore(key)
        # What load() does to decide whether the session has expired.
        with open(store._key_to_file(), encoding="ascii") as f:
            expiry = store._expiry_date(store.decode(f.read()))
        age = store.get_expiry_age(expiry=expiry)
        # load() would put an empty session in place of an expired one.
        store.create = lambda: None
        return {"expiry_age": age, "data": store.load()}

    def save(data):
        store = SessionStore()
        store.update(data)
        store.save()
        return {"key": store.session_key}

    def clear_expired():
        SessionStore.clear_expired()
        return {"files": sorted(os.listdir(args.path))}

    for line in sys.stdin.buffer:
        case = json.loads(line.decode("utf-8"))
        if case["op"] == "load":
            out = load(case["key"])
        elif case["op"] == "save":
            out = save(case["data"])
        else:
            out = clear_expired()
        print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
