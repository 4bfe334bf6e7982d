package redisstore_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/djsessions/api/internal/session"
	"github.com/djsessions/api/internal/session/redisstore"
	"github.com/djsessions/api/internal/session/sessiontest"
	"github.com/djsessions/api/internal/testredis"
)

// clusterClient returns a client of a three-master cluster of the test's
// own, made as the API makes it from SESSION_CACHE_URL.
func clusterClient(t *testing.T) (*testredis.Cluster, *redis.ClusterClient) {
	t.Helper()
	cluster := testredis.StartCluster(t)
	c, err := redisstore.NewClient(cluster.URL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	cc, ok := c.(*redis.ClusterClient)
	if !ok {
		t.Fatalf("NewClient(%s) is a %T, want a cluster client", cluster.URL(), c)
	}
	return cluster, cc
}

func TestStoreConformanceOnACluster(t *testing.T) {
	_, c := clusterClient(t)
	sessiontest.Run(t, func(t *testing.T) session.Store { return newStore(t, c) },
		sessiontest.ExpiresByItself())
}

// sessionKey is the i-th of the keys these tests write.
func sessionKey(i int) string { return fmt.Sprintf("redisstoreclustertest%011d", i) }

// masterOf returns the port of the master that holds key.
func masterOf(t *testing.T, c *redis.ClusterClient, key string) string {
	t.Helper()
	node, err := c.MasterForKey(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := strings.Cut(node.Options().Addr, ":")
	return port
}

func TestSessionsSpreadOverEveryMasterAndASessionsKeysShareOne(t *testing.T) {
	_, c := clusterClient(t)
	ctx := context.Background()
	prefix := testredis.Prefix(t, c)
	st := redisstore.New(c, prefix)
	perMaster := map[string]int{}
	for i := range 60 {
		key := sessionKey(i)
		must(t, st.Create(ctx, key, session.Record{Data: "d", Expiry: later(), Meta: session.Meta{UserID: 7}}))
		data, meta := masterOf(t, c, prefix+"{"+key+"}"), masterOf(t, c, prefix+"{"+key+"}:meta")
		if data != meta {
			t.Fatalf("session %s: its data is on %s, its metadata on %s; want one slot", key, data, meta)
		}
		perMaster[data]++
	}
	if len(perMaster) != 3 {
		t.Fatalf("60 sessions on %d masters (%v), want all three", len(perMaster), perMaster)
	}
	// The user's set, in a slot of its own, lists them all.
	if entries, err := st.ByUser(ctx, 7, time.Now()); err != nil || len(entries) != 60 {
		t.Fatalf("ByUser: %d sessions, %v; want 60", len(entries), err)
	}
	if deleted, err := st.DeleteByUser(ctx, 7, ""); err != nil || len(deleted) != 60 {
		t.Fatalf("DeleteByUser: %d deleted, %v; want 60", len(deleted), err)
	}
}

// With a master down, the sessions on the others are served and changed as
// ever, those on it fail (never "not found", which would be a logout), and
// after it is back (empty, as a Redis that saves nothing restarts) every
// slot is written again.
func TestAMasterDownFailsItsSessionsOnlyAndTheClusterRecovers(t *testing.T) {
	cluster, c := clusterClient(t)
	ctx := context.Background()
	prefix := testredis.Prefix(t, c)
	st := redisstore.New(c, prefix)
	byMaster := map[string][]string{}
	for i := range 30 {
		key := sessionKey(i)
		must(t, st.Create(ctx, key, session.Record{Data: "before", Expiry: later()}))
		m := masterOf(t, c, prefix+"{"+key+"}")
		byMaster[m] = append(byMaster[m], key)
	}
	down := cluster.Ports[0]
	cluster.Kill(down)

	update := func(key string) error {
		return st.Update(ctx, key, func(string) (session.Record, error) {
			return session.Record{Data: "after", Expiry: later()}, nil
		})
	}
	for m, keys := range byMaster {
		for _, key := range keys {
			_, found, loadErr := st.Load(ctx, key)
			updateErr := update(key)
			switch {
			case m == down && (loadErr == nil || updateErr == nil):
				t.Errorf("session %s, on the master that is down: Load found %v, %v; Update %v; want failures", key, found, loadErr, updateErr)
			case m == down && (errors.Is(loadErr, session.ErrNotFound) || errors.Is(updateErr, session.ErrNotFound)):
				t.Errorf("session %s, on the master that is down: %v, %v; want a failure, not a missing session", key, loadErr, updateErr)
			case m != down && (loadErr != nil || !found || updateErr != nil):
				t.Errorf("session %s, on a master that is up: found %v, %v; Update %v; want it served", key, found, loadErr, updateErr)
			}
		}
	}

	cluster.Restart(down)
	for _, key := range byMaster[down] {
		if _, found, err := st.Load(ctx, key); err != nil || found {
			t.Errorf("session %s after its master restarted empty: found %v, %v; want it gone, without error", key, found, err)
		}
		must(t, st.Create(ctx, key, session.Record{Data: "again", Expiry: later()}))
	}
}
