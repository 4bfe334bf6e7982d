"""Django's PBKDF2 hasher at the iteration count the API uses.

Django rewrites a hash whose iteration count differs from its hasher's at
each login (must_update), and so does the API. Two sides that disagree on
the count rewrite it in turn, and each rewrite changes the session auth
hash, which logs the user out of every other session. Both sides must
hash with the same count: PASSWORD_HASHER_ITERATIONS here and in the API.
"""
import os

from django.contrib.auth import hashers


class PBKDF2PasswordHasher(hashers.PBKDF2PasswordHasher):
    iterations = int(os.environ.get("PASSWORD_HASHER_ITERATIONS", hashers.PBKDF2PasswordHasher.iterations))
