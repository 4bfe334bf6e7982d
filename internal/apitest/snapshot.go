package apitest

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

// tables are those the API writes.
var tables = []string{"django_session", "auth_user", "auth_login_failure", "products", "profiles"}

// Snapshot returns every row of every table the API writes, in a stable
// text form: two snapshots are equal when nothing stored changed in
// between. (With the cache engine the sessions are in Redis, not here.)
func (a *App) Snapshot(t testing.TB) string {
	t.Helper()
	var out strings.Builder
	for _, table := range tables {
		rows, err := a.DB.Queryx("SELECT * FROM " + table)
		if err != nil {
			t.Fatalf("apitest: snapshot of %s: %v", table, err)
		}
		var lines []string
		for rows.Next() {
			row := map[string]any{}
			if err := rows.MapScan(row); err != nil {
				rows.Close()
				t.Fatalf("apitest: snapshot of %s: %v", table, err)
			}
			for k, v := range row {
				if b, ok := v.([]byte); ok {
					row[k] = string(b)
				}
			}
			line, err := json.Marshal(row) // keys in sorted order
			if err != nil {
				rows.Close()
				t.Fatalf("apitest: snapshot of %s: %v", table, err)
			}
			lines = append(lines, string(line))
		}
		if err := rows.Close(); err != nil {
			t.Fatalf("apitest: snapshot of %s: %v", table, err)
		}
		slices.Sort(lines)
		out.WriteString(table + ":\n  " + strings.Join(lines, "\n  ") + "\n")
	}
	return out.String()
}

// WantUnchanged fails the test if what is stored now differs from before,
// a Snapshot.
func (a *App) WantUnchanged(t testing.TB, before string) {
	t.Helper()
	if after := a.Snapshot(t); after != before {
		t.Fatalf("the stored data changed:\nbefore:\n%s\nafter:\n%s", before, after)
	}
}
