#!/usr/bin/env python3
"""Serve the interop test project on 127.0.0.1 for the Go tests.

It binds a free port chosen by the system, then prints one line,
"listening on http://127.0.0.1:PORT", once Django is set up and the socket
accepts connections, so the test that started it knows where and when to
go. It serves until it is killed. Requests are logged to stderr.
"""
import os
import sys
from wsgiref.simple_server import WSGIRequestHandler, make_server

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "djangoproject.settings")

from django.core.wsgi import get_wsgi_application  # noqa: E402


class Handler(WSGIRequestHandler):
    def log_message(self, format, *args):
        sys.stderr.write("django: " + (format % args) + "\n")


def main():
    app = get_wsgi_application()  # django.setup(): settings and apps load here
    server = make_server("127.0.0.1", 0, app, handler_class=Handler)
    host, port = server.server_address
    print(f"listening on http://{host}:{port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
