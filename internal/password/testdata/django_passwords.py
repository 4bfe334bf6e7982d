"""Hash, check and validate passwords with real Django, for the Go tests.

Usage: django_passwords.py MODE [--iterations N] [--secret KEY]

Reads one JSON object per line on stdin and writes one JSON object per line
on stdout, in the same order, so that one process serves a whole test:

  make:      {"password": P}             -> {"encoded": make_password(P)}
  check:     {"password": P, "encoded": E}
             -> {"ok": check_password(P, E), "must_update": whether the
                 setter was called, "error": the exception Django raised}
  validate:  {"password": P, "user": {"username", "first_name", "last_name", "email"}}
             -> {"errors": the messages of validate_password(P, User(**user))}
  authhash:  {"encoded": E} -> {"hash": User(password=E).get_session_auth_hash()}
  lower:     {"s": S} -> {"lower": S.lower(), "strip": S.strip(),
                          "isdigit": S.isdigit(), "split": re.split(r"\\W+", S)}
  classes:   {} -> {"unassigned", "digit", "space", "word": the code points,
                   as [first, last] ranges, that are unassigned, isdigit(),
                   isspace(), matched by \\w; "lower": every code point
                   whose lower() is not itself, with its lower()}

The only password hasher is PBKDF2PasswordHasher with --iterations
iterations (default: this Django's own), and the validators are Django's
defaults in the order of its project template.
"""

import argparse
import json
import re
import sys
import unicodedata

import django
from django.conf import settings
from django.contrib.auth.hashers import PBKDF2PasswordHasher


class TestPBKDF2PasswordHasher(PBKDF2PasswordHasher):
    """PBKDF2PasswordHasher at the iteration count the test asks for."""


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["make", "check", "validate", "authhash", "lower", "classes"])
    parser.add_argument("--iterations", type=int, default=PBKDF2PasswordHasher.iterations)
    parser.add_argument("--secret", default="django-insecure-test-key-0123456789")
    args = parser.parse_args()
    TestPBKDF2PasswordHasher.iterations = args.iterations

    validators = [
        "UserAttributeSimilarityValidator",
        "MinimumLengthValidator",
        "CommonPasswordValidator",
        "NumericPasswordValidator",
    ]
    settings.configure(
        SECRET_KEY=args.secret,
        INSTALLED_APPS=["django.contrib.auth", "django.contrib.contenttypes"],
        PASSWORD_HASHERS=["__main__.TestPBKDF2PasswordHasher"],
        AUTH_PASSWORD_VALIDATORS=[
            {"NAME": "django.contrib.auth.password_validation." + v} for v in validators
        ],
        USE_I18N=False,
    )
    django.setup()

    from django.contrib.auth.hashers import check_password, make_password
    from django.contrib.auth.models import User
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    def check(case):
        updated = []
        try:
            ok = check_password(case["password"], case["encoded"], setter=updated.append)
        except Exception as e:  # what check_password lets through on a malformed hash
            return {"ok": False, "must_update": False, "error": "%s: %s" % (type(e).__name__, e)}
        return {"ok": ok, "must_update": bool(updated)}

    def validate(case):
        try:
            validate_password(case["password"], User(**case["user"]))
        except ValidationError as e:
            return {"errors": e.messages}
        return {"errors": []}

    def lower(case):
        s = case["s"]
        return {"lower": s.lower(), "strip": s.strip(), "isdigit": s.isdigit(), "split": re.split(r"\W+", s)}

    handlers = {
        "make": lambda case: {"encoded": make_password(case["password"])},
        "check": check,
        "validate": validate,
        "authhash": lambda case: {"hash": User(password=case["encoded"]).get_session_auth_hash()},
        "lower": lower,
        "classes": lambda case: classes(),
    }
    handle = handlers[args.mode]
    # Bytes in, ASCII out: the locale's encoding plays no part.
    for line in sys.stdin.buffer:
        print(json.dumps(handle(json.loads(line.decode("utf-8")))), flush=True)


def classes():
    def ranges(predicate):
        out = []
        for c in range(0x110000):
            if predicate(chr(c)):
                if out and out[-1][1] == c - 1:
                    out[-1][1] = c
                else:
                    out.append([c, c])
        return out

    word = re.compile(r"\w")
    lower = {}
    for c in range(0x110000):
        ch = chr(c)
        if ch.lower() != ch:
            lower[c] = ch.lower()
    return {
        "unicode_version": unicodedata.unidata_version,
        "unassigned": ranges(lambda ch: unicodedata.category(ch) == "Cn"),
        "digit": ranges(str.isdigit),
        "space": ranges(str.isspace),
        "word": ranges(lambda ch: word.match(ch) is not None),
        "lower": lower,
    }


if __name__ == "__main__":
    main()
