package main

import (
	"context"
	"database/sql"
	"errors"
	"net"
	"net/http"
	"sync/atomic"

	"github.com/jmoiron/sqlx"
	"github.com/labstack/echo/v4"
	"github.com/redis/go-redis/v9"
)

// The floors: the least a request of each kind could cost on this machine,
// served through the same Echo and the same kind of pool as the API, so
// that a scenario's rate divided by its floor's says how close to the
// least work the API comes.
const (
	floorNoop        = "floor-noop"
	floorSelect      = "floor-select"
	floorSelectWrite = "floor-select-upd"
	floorRedisGet    = "floor-redis-get"
)

// floorHash is computed rather than served: the logins per second that
// password hashing alone allows, this machine's cores divided by the time
// of one hash at -hash-iterations.
const floorHash = "floor-hash"

var floorNames = []string{floorNoop, floorSelect, floorSelectWrite, floorRedisGet, floorHash}

// floors serves the floor handlers until closed.
type floors struct {
	srv  *http.Server
	base string
	have map[string]bool
}

// serveFloors serves on addr the floors that db and rdb allow; the SELECT
// floors read the rows of keys, one after another, as the scenarios spread
// over their sessions.
func serveFloors(addr string, db *sqlx.DB, rdb *redis.Client, keys []string) (*floors, error) {
	var next atomic.Uint64
	key := func() string { return keys[next.Add(1)%uint64(len(keys))] }
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	have := map[string]bool{floorNoop: true}
	e.GET("/"+floorNoop, func(c echo.Context) error { return c.JSON(http.StatusOK, map[string]bool{"ok": true}) })
	if db != nil {
		have[floorSelect], have[floorSelectWrite] = true, true
		load := db.Rebind(`SELECT session_data FROM django_session WHERE session_key = ? AND expire_date > now()`)
		lock := db.Rebind(`SELECT session_data FROM django_session WHERE session_key = ? FOR UPDATE`)
		update := db.Rebind(`UPDATE django_session SET session_data = ? WHERE session_key = ?`)
		e.GET("/"+floorSelect, func(c echo.Context) error {
			var data string
			if err := db.QueryRowContext(c.Request().Context(), load, key()).Scan(&data); err != nil {
				return err
			}
			return c.JSON(http.StatusOK, map[string]int{"bytes": len(data)})
		})
		e.GET("/"+floorSelectWrite, func(c echo.Context) error {
			ctx := c.Request().Context()
			err := func() error {
				tx, err := db.BeginTxx(ctx, nil)
				if err != nil {
					return err
				}
				defer tx.Rollback()
				var data string
				k := key()
				if err := tx.QueryRowContext(ctx, lock, k).Scan(&data); err != nil {
					return err
				}
				if _, err := tx.ExecContext(ctx, update, data, k); err != nil {
					return err
				}
				return tx.Commit()
			}()
			if err != nil {
				return err
			}
			return c.JSON(http.StatusOK, map[string]bool{"ok": true})
		})
	}
	if rdb != nil {
		have[floorRedisGet] = true
		e.GET("/"+floorRedisGet, func(c echo.Context) error {
			v, err := rdb.Get(c.Request().Context(), "loadtest:floor").Result()
			if err != nil && !errors.Is(err, redis.Nil) {
				return err
			}
			return c.JSON(http.StatusOK, map[string]int{"bytes": len(v)})
		})
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	f := &floors{srv: &http.Server{Handler: e}, base: "http://" + ln.Addr().String(), have: have}
	go f.srv.Serve(ln)
	return f, nil
}

func (f *floors) close() { f.srv.Shutdown(context.Background()) }

// sessionRowExists is a sanity check: a floor that reads nothing is no floor.
func sessionRowExists(ctx context.Context, db *sqlx.DB, key string) error {
	var n int
	err := db.QueryRowContext(ctx, db.Rebind(`SELECT 1 FROM django_session WHERE session_key = ?`), key).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return errors.New("the floor's session is not in django_session: is -database-url the API's database?")
	}
	return err
}
