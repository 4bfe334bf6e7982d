"""Sign and verify session data with real Django, for the Go tests.

Usage: django_signing.py {dumps|loads} --secret KEY [--fallback KEY]... [--time UNIX]

Reads one JSON object per line on stdin and writes one JSON object per line
on stdout, in the same order, so that one process serves a whole test:

  dumps: {"salt": S, "obj": VALUE}   -> {"signed": signing.dumps(VALUE, salt=S, compress=True)}
  loads: {"salt": S, "signed": TEXT, "want": VALUE (optional)}
         -> {"got": canonical(signing.loads(TEXT, salt=S)), "want": canonical(VALUE)}
         or {"error": "BadSignature: ..."}

canonical() is json.dumps with sorted keys, so that the Go side compares two
strings written by the same serialiser (1 and 1.0 and true stay distinct).
--time fixes the signing time, which makes dumps deterministic.
"""

import argparse
import json
import sys
import types

import django
from django.conf import settings


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["dumps", "loads"])
    parser.add_argument("--secret", required=True)
    parser.add_argument("--fallback", action="append", default=[])
    parser.add_argument("--time", type=int)
    args = parser.parse_args()

    # SECRET_KEY_FALLBACKS exists since Django 4.1; on older versions loads
    # tries each key in turn, which is what the setting does.
    native_fallbacks = django.VERSION >= (4, 1)
    if native_fallbacks:
        settings.configure(SECRET_KEY=args.secret, SECRET_KEY_FALLBACKS=args.fallback)
    else:
        settings.configure(SECRET_KEY=args.secret)
    django.setup()

    from django.core import signing

    if args.time is not None:
        signing.time = types.SimpleNamespace(time=lambda: args.time)

    def loads(signed, salt):
        if native_fallbacks:
            return signing.loads(signed, salt=salt)
        for key in [args.secret] + args.fallback:
            try:
                return signing.loads(signed, key=key, salt=salt)
            except signing.BadSignature:
                pass
        raise signing.BadSignature("no key matched")

    def canonical(obj):
        return json.dumps(obj, sort_keys=True, separators=(",", ":"))

    # Bytes in, ASCII out: the locale's encoding plays no part.
    for line in sys.stdin.buffer:
        case = json.loads(line.decode("utf-8"))
        if args.mode == "dumps":
            out = {"signed": signing.dumps(case["obj"], salt=case["salt"], compress=True)}
        else:
            try:
                got = loads(case["signed"], case["salt"])
                out = {"got": canonical(got), "want": canonical(case.get("want"))}
            except Exception as e:  # BadSignature, zlib.error, ValueError...
                out = {"error": "%s: %s" % (type(e).__name__, e)}
        print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
