// Package djangointerop proves that the API and a real Django project share
// sessions and users: its tests run Debian's python3-django on the project
// in testdata/djangoproject, served on a local port beside the API, on one
// PostgreSQL schema and with one SECRET_KEY, and go back and forth between
// the two as a browser would. Only tests live here.
package djangointerop
