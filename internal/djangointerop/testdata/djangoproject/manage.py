#!/usr/bin/env python3
"""Django's manage.py for the interop test project (migrate, createsuperuser, ...).

Run it with Debian's interpreter, isolated: /usr/bin/python3 -I manage.py ...
-I leaves this directory off sys.path, so it is put there explicitly.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "djangoproject.settings")

from django.core.management import execute_from_command_line  # noqa: E402

execute_from_command_line(sys.argv)
