package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"github.com/redis/go-redis/v9"

	"github.com/djsessions/api/internal/sessionengine"
)

// stores are the places the API keeps sessions in, read behind its back to
// weigh what it wrote. Only those of the engine measured need be set.
type stores struct {
	db         *sqlx.DB              // the API's PostgreSQL: db and cached_db
	redis      redis.UniversalClient // SESSION_CACHE_URL: cache and cached_db
	prefix     string                // SESSION_CACHE_KEY_PREFIX
	dir        string                // SESSION_FILE_PATH: file
	filePrefix string                // SESSION_COOKIE_NAME, which begins each session file's name
}

// uses reports which stores an engine keeps its sessions in.
func uses(engine string) (postgres, redis, files bool) {
	switch engine {
	case "db":
		return true, false, false
	case "cached_db":
		return true, true, false
	case "cache":
		return false, true, false
	case "file":
		return false, false, true
	}
	return false, false, false
}

// totals are the sizes of whole stores, taken before and after the
// sessions are made: their difference over the sessions is what each one
// cost the store, overheads included.
type totals struct {
	relation int64 // pg_total_relation_size of django_session: heap, TOAST, indexes, free space maps
	redis    int64 // INFO memory's used_memory, summed over a cluster's masters
	dir      int64 // bytes allocated to the files of the session directory
	packed   int64 // the measured sessions' rows alone, in a table loaded at once (after only)
}

func (s stores) totals(ctx context.Context, engine string) (totals, error) {
	pg, rd, files := uses(engine)
	var t totals
	if pg {
		if err := s.db.GetContext(ctx, &t.relation, `SELECT pg_total_relation_size('django_session')`); err != nil {
			return t, fmt.Errorf("size of django_session: %w", err)
		}
	}
	if rd {
		n, err := usedMemory(ctx, s.redis)
		if err != nil {
			return t, err
		}
		t.redis = n
	}
	if files {
		n, err := allocated(s.dir)
		if err != nil {
			return t, err
		}
		t.dir = n
	}
	return t, nil
}

// usedMemory is Redis's used_memory, summed over the masters of a cluster.
func usedMemory(ctx context.Context, rdb redis.UniversalClient) (int64, error) {
	one := func(ctx context.Context, c redis.Cmdable) (int64, error) {
		info, err := c.Info(ctx, "memory").Result()
		if err != nil {
			return 0, fmt.Errorf("redis INFO memory: %w", err)
		}
		for _, line := range strings.Split(info, "\n") {
			if v, ok := strings.CutPrefix(strings.TrimSpace(line), "used_memory:"); ok {
				return strconv.ParseInt(v, 10, 64)
			}
		}
		return 0, errors.New("redis INFO memory: no used_memory")
	}
	cluster, ok := rdb.(*redis.ClusterClient)
	if !ok {
		return one(ctx, rdb)
	}
	var mu sync.Mutex
	var sum int64
	err := cluster.ForEachMaster(ctx, func(ctx context.Context, node *redis.Client) error {
		n, err := one(ctx, node)
		mu.Lock()
		sum += n
		mu.Unlock()
		return err
	})
	return sum, err
}

// allocated is the bytes the file system allocated to the entries of dir
// (st_blocks, in 512-byte units whatever the block size), the directory
// itself included, since its entries grow with the sessions too.
func allocated(dir string) (int64, error) {
	var sum int64
	add := func(path string) error {
		fi, err := os.Lstat(path)
		if errors.Is(err, os.ErrNotExist) {
			return nil // a session file renamed or removed meanwhile
		}
		if err != nil {
			return err
		}
		if st, ok := fi.Sys().(*syscall.Stat_t); ok {
			sum += st.Blocks * 512
		}
		return nil
	}
	if err := add(dir); err != nil {
		return 0, err
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return 0, err
	}
	for _, e := range entries {
		if err := add(filepath.Join(dir, e.Name())); err != nil {
			return 0, err
		}
	}
	return sum, nil
}

// made is one session the measurement made: its key (on signed_cookies,
// the cookie's value) and its user.
type made struct {
	key    string
	userID int64
}

// weight is what one session occupies in each store of its engine, and
// its signed data as stored, to look for the cart in.
type weight struct {
	row, data                 int64 // pg_column_size of the django_session row, and of its session_data
	dataKey, metaKey, userSet int64 // MEMORY USAGE of the cache engine's keys
	copyKey                   int64 // MEMORY USAGE of cached_db's copy
	fileSize, fileBlocks      int64
	cookie                    int64
	stored                    string
}

// weigh reads what the engine stored for m.
func (s stores) weigh(ctx context.Context, engine string, m made) (weight, error) {
	var w weight
	var err error
	switch engine {
	case "db", "cached_db":
		err = s.db.QueryRowxContext(ctx, `SELECT pg_column_size(s.*), pg_column_size(s.session_data), s.session_data
			FROM django_session s WHERE session_key = $1`, m.key).Scan(&w.row, &w.data, &w.stored)
		if errors.Is(err, sql.ErrNoRows) {
			return w, fmt.Errorf("no django_session row for a session the API made: is it running the %s engine on this database?", engine)
		}
		if err == nil && engine == "cached_db" {
			w.copyKey, err = memoryUsage(ctx, s.redis, sessionengine.CachedDBPrefix(s.prefix)+m.key)
		}
	case "cache":
		data := s.prefix + "{" + m.key + "}"
		if w.stored, err = s.redis.Get(ctx, data).Result(); err != nil {
			return w, fmt.Errorf("redis GET %s: %w (is the API running the cache engine on this Redis, under this prefix?)", data, err)
		}
		if w.dataKey, err = memoryUsage(ctx, s.redis, data); err == nil {
			if w.metaKey, err = memoryUsage(ctx, s.redis, data+":meta"); err == nil {
				w.userSet, err = memoryUsage(ctx, s.redis, s.prefix+"user:"+strconv.FormatInt(m.userID, 10))
			}
		}
	case "file":
		path := filepath.Join(s.dir, s.filePrefix+m.key)
		raw, rerr := os.ReadFile(path)
		if rerr != nil {
			return w, fmt.Errorf("%w (is the API running the file engine on this directory?)", rerr)
		}
		w.stored, w.fileSize = string(raw), int64(len(raw))
		fi, serr := os.Stat(path)
		if serr != nil {
			return w, serr
		}
		if st, ok := fi.Sys().(*syscall.Stat_t); ok {
			w.fileBlocks = st.Blocks * 512
		}
	case "signed_cookies":
		w.stored, w.cookie = m.key, int64(len(m.key))
	}
	return w, err
}

// memoryUsage is MEMORY USAGE of key, all of it sampled; a key that is not
// there is an error, since the engine should have written it.
func memoryUsage(ctx context.Context, rdb redis.UniversalClient, key string) (int64, error) {
	n, err := rdb.MemoryUsage(ctx, key, 0).Result()
	if errors.Is(err, redis.Nil) {
		return 0, fmt.Errorf("redis: no key %s (is the API on this Redis, under this prefix?)", key)
	}
	if err != nil {
		return 0, fmt.Errorf("redis MEMORY USAGE %s: %w", key, err)
	}
	return n, nil
}

// packed is what the rows of keys take in a table of their own, with
// django_session's indexes, loaded at once: the table without the dead row
// versions and free space that writes leave, as a vacuumed table in a
// steady state approaches. It is a temporary table, dropped at once.
func (s stores) packed(ctx context.Context, keys []string) (int64, error) {
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback() // the temporary table goes with it
	var size int64
	if _, err = tx.ExecContext(ctx, `CREATE TEMPORARY TABLE capacity_packed (LIKE django_session INCLUDING ALL) ON COMMIT DROP`); err == nil {
		if _, err = tx.ExecContext(ctx, `INSERT INTO capacity_packed SELECT * FROM django_session WHERE session_key = ANY($1)`, pq.Array(keys)); err == nil {
			err = tx.GetContext(ctx, &size, `SELECT pg_total_relation_size('capacity_packed')`)
		}
	}
	if err != nil {
		return 0, fmt.Errorf("packing the sessions' rows into a table of their own: %w", err)
	}
	return size, nil
}

// keysPerMaster describes how a cluster spread its keys: DBSIZE of each
// master, by address; "" for a single Redis.
func keysPerMaster(ctx context.Context, rdb redis.UniversalClient) (string, error) {
	cluster, ok := rdb.(*redis.ClusterClient)
	if !ok {
		return "", nil
	}
	var mu sync.Mutex
	var counts []string
	err := cluster.ForEachMaster(ctx, func(ctx context.Context, node *redis.Client) error {
		n, err := node.DBSize(ctx).Result()
		mu.Lock()
		counts = append(counts, fmt.Sprintf("%s %d", node.Options().Addr, n))
		mu.Unlock()
		return err
	})
	slices.Sort(counts)
	return strings.Join(counts, ", "), err
}
