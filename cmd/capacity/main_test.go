package main

import (
	"io"
	"strings"
	"testing"
)

func TestFlagsThatCannotMeasureAreRefusedWithTheFlagNamed(t *testing.T) {
	const pg = "-database-url=postgres://postgres@127.0.0.1:5432/capacity"
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"no engine", []string{pg}, "-engine"},
		{"an engine the API has not", []string{pg, "-engine=memcached"}, "-engine"},
		{"SQLite, where nothing is weighed", []string{"-database-url=sqlite:./var/db.sqlite3", "-engine=db"}, "-database-url"},
		{"cache without its Redis", []string{pg, "-engine=cache", "-redis-url="}, "-redis-url"},
		{"cached_db without its Redis", []string{pg, "-engine=cached_db", "-redis-url="}, "-redis-url"},
		{"file without its directory", []string{pg, "-engine=file", "-session-dir="}, "-session-dir"},
		{"no sessions", []string{pg, "-engine=db", "-sessions=0"}, "-sessions"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := parse(c.args, io.Discard)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("parse(%q): %v, want an error naming %s", c.args, err, c.want)
			}
		})
	}
}

func TestEachEngineNeedsOnlyItsOwnStores(t *testing.T) {
	const pg = "-database-url=postgres://postgres@127.0.0.1:5432/capacity"
	for _, args := range [][]string{
		{pg, "-engine=db", "-redis-url=", "-session-dir="},
		{pg, "-engine=signed_cookies", "-redis-url=", "-session-dir="},
		{pg, "-engine=cache", "-redis-url=redis-cluster://127.0.0.1:7000,127.0.0.1:7001", "-session-dir="},
		{pg, "-engine=file", "-redis-url=", "-session-dir=/tmp"},
	} {
		if _, err := parse(args, io.Discard); err != nil {
			t.Errorf("parse(%q): %v", args, err)
		}
	}
}
