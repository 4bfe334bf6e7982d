package database

import (
	"context"
	"time"

	"github.com/lib/pq"
)

// Listen receives PostgreSQL's notifications on channel from the database
// at dsn until ctx ends, on a connection of its own, and hands each payload
// to notify. It reconnects by itself; connected is told each time the
// connection comes up (true: any notification sent while it was down was
// missed) or goes down (false, with why).
func Listen(ctx context.Context, dsn, channel string, connected func(up bool, err error), notify func(payload string)) error {
	l := pq.NewListener(dsn, 100*time.Millisecond, 5*time.Second, func(ev pq.ListenerEventType, err error) {
		switch ev {
		case pq.ListenerEventConnected, pq.ListenerEventReconnected:
			connected(true, nil)
		case pq.ListenerEventDisconnected, pq.ListenerEventConnectionAttemptFailed:
			connected(false, err)
		}
	})
	if err := l.Listen(channel); err != nil {
		l.Close()
		return err
	}
	go func() {
		defer l.Close()
		for {
			select {
			case <-ctx.Done():
				connected(false, ctx.Err())
				return
			case n := <-l.Notify:
				if n == nil { // reconnected: what was sent meanwhile is lost
					connected(true, nil)
					continue
				}
				notify(n.Extra)
			}
		}
	}()
	return nil
}
