package database

import (
	"errors"
	"testing"
)

func TestParseURL(t *testing.T) {
	cases := []struct {
		url, driver, dsn, path string
	}{
		{"postgres://u@h/db", Postgres, "postgres://u@h/db?binary_parameters=yes", ""},
		{"postgresql://u@h/db?sslmode=disable", Postgres, "postgresql://u@h/db?sslmode=disable&binary_parameters=yes", ""},
		{"postgres://u@h/db?binary_parameters=no", Postgres, "postgres://u@h/db?binary_parameters=no", ""},
		{"sqlite:./var/db.sqlite3", SQLite, "", "./var/db.sqlite3"},
		{"sqlite:var/db.sqlite3", SQLite, "", "var/db.sqlite3"},
		{"sqlite:///srv/app/db.sqlite3", SQLite, "", "/srv/app/db.sqlite3"},
	}
	for _, tc := range cases {
		src, err := ParseURL(tc.url)
		if err != nil {
			t.Fatalf("ParseURL(%q): %v", tc.url, err)
		}
		if src.Driver != tc.driver || (tc.dsn != "" && src.DSN != tc.dsn) || src.Path != tc.path {
			t.Errorf("ParseURL(%q) = %+v", tc.url, src)
		}
	}
}

func TestParseURLRefusesOtherDatabases(t *testing.T) {
	for _, url := range []string{"", "mysql://h/db", "sqlite:", "sqlite://", "file:db.sqlite3"} {
		if _, err := ParseURL(url); err == nil {
			t.Errorf("ParseURL(%q) succeeded", url)
		} else if url != "sqlite:" && url != "sqlite://" && !errors.Is(err, ErrUnsupportedURL) {
			t.Errorf("ParseURL(%q): %v, want ErrUnsupportedURL", url, err)
		}
	}
}
