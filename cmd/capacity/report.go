package main

import (
	"fmt"
	"io"
	"slices"
	"text/tabwriter"
)

// row is one measure of a session's weight, in bytes: over every session
// made (min and max set), or the growth of a whole store divided by them
// (only the mean).
type row struct {
	name       string
	mean       float64
	min, max   int64
	perSession bool // min and max are meaningful
	counts     string
}

// each is a row over every session of one weight's field.
func each(name, counts string, weights []weight, field func(weight) int64) row {
	vals := make([]int64, len(weights))
	var sum int64
	for i, w := range weights {
		vals[i] = field(w)
		sum += vals[i]
	}
	return row{name: name, counts: counts, perSession: true,
		mean: float64(sum) / float64(len(vals)), min: slices.Min(vals), max: slices.Max(vals)}
}

// growth is a row of a store's growth over the sessions.
func growth(name, counts string, before, after int64, sessions int) row {
	return row{name: name, counts: counts, mean: float64(after-before) / float64(sessions)}
}

// rows are the measures of the engine's stores.
func rows(engine string, weights []weight, before, after totals) []row {
	n := len(weights)
	var out []row
	pg, rd, _ := uses(engine)
	if pg {
		out = append(out,
			each("PostgreSQL row", "pg_column_size of the django_session row: tuple header and all columns (session_data compressed if PostgreSQL chose to); no line pointer, no index entries", weights, func(w weight) int64 { return w.row }),
			each("  of which session_data", "pg_column_size of session_data: the signed data as PostgreSQL keeps it", weights, func(w weight) int64 { return w.data }),
			growth("PostgreSQL table+indexes growth", "pg_total_relation_size('django_session') after - before, / sessions: heap, TOAST, the four indexes, free space, and the dead row versions the logins and cart writes left for vacuum to reuse", before.relation, after.relation, n),
			growth("PostgreSQL packed table+indexes", "pg_total_relation_size of a temporary copy of django_session (its indexes too) holding only these rows, loaded at once, / sessions: no dead versions, pages full", 0, after.packed, n),
		)
	}
	switch engine {
	case "cached_db":
		out = append(out, each("Redis copy", "MEMORY USAGE of the session's copy (<prefix>cdb:<key>)", weights, func(w weight) int64 { return w.copyKey }))
	case "cache":
		out = append(out,
			each("Redis data key", "MEMORY USAGE of <prefix>{<key>}: the signed data, key name and overheads", weights, func(w weight) int64 { return w.dataKey }),
			each("Redis meta hash", "MEMORY USAGE of <prefix>{<key>}:meta: user, created, last activity, ip, user agent", weights, func(w weight) int64 { return w.metaKey }),
			each("Redis user set", "MEMORY USAGE of <prefix>user:<id>: here one session per user, so the whole set", weights, func(w weight) int64 { return w.userSet }),
			each("Redis keys, sum", "the three above", weights, func(w weight) int64 { return w.dataKey + w.metaKey + w.userSet }),
		)
	case "file":
		out = append(out,
			each("file size", "bytes in the session's file: the signed data", weights, func(w weight) int64 { return w.fileSize }),
			each("file allocated", "st_blocks × 512 of the session's file: what the file system gives it", weights, func(w weight) int64 { return w.fileBlocks }),
			growth("directory growth", "allocated bytes of the directory and its files after - before, / sessions", before.dir, after.dir, n),
		)
	case "signed_cookies":
		out = append(out, each("cookie value", "length of the session cookie's value (the signed data), without its name and attributes", weights, func(w weight) int64 { return w.cookie }))
	}
	if rd {
		out = append(out, growth("Redis used_memory growth", "INFO memory used_memory after - before (summed over a cluster's masters), / sessions: keys, expiry entries, dict growth; noisy if others use this Redis", before.redis, after.redis, n))
	}
	return out
}

// print writes res as a table, each measure with what it counts.
func (res result) print(w io.Writer) {
	fmt.Fprintf(w, "engine %s: %d logged-in sessions, each with a cart of %d lines", res.engine, res.sessions, cartLines)
	if res.verified > 0 {
		fmt.Fprintf(w, " (found in the stored data of %d)", res.verified)
	}
	fmt.Fprintln(w)
	for _, n := range res.notes {
		fmt.Fprintln(w, "note:", n)
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "bytes per session\tmean\tmin\tmax\t")
	for _, r := range res.rows {
		lo, hi := "-", "-"
		if r.perSession {
			lo, hi = fmt.Sprint(r.min), fmt.Sprint(r.max)
		}
		fmt.Fprintf(tw, "%s\t%.0f\t%s\t%s\t\n", r.name, r.mean, lo, hi)
	}
	tw.Flush()
	fmt.Fprintln(w, "what each measure counts:")
	for _, r := range res.rows {
		fmt.Fprintf(w, "  %s: %s\n", r.name, r.counts)
	}
}
