package redisstore

import (
	"context"
	"sync"
)

// keyLocks queues this process's writers of one session, so that they take
// turns rather than break each other's WATCH: forty requests of one
// session at once (an SPA adding to a cart) would otherwise each retry
// until most had run out of time. Writers in other processes still meet
// only WATCH, and retry.
type keyLocks struct {
	mu    sync.Mutex
	locks map[string]*keyLock
}

type keyLock struct {
	turn    chan struct{} // holds a token while someone has the key
	waiters int           // holders and waiters; the entry goes at zero
}

// lock waits for key's turn until ctx ends, and returns what gives it back.
func (l *keyLocks) lock(ctx context.Context, key string) (unlock func(), err error) {
	l.mu.Lock()
	if l.locks == nil {
		l.locks = map[string]*keyLock{}
	}
	k, ok := l.locks[key]
	if !ok {
		k = &keyLock{turn: make(chan struct{}, 1)}
		l.locks[key] = k
	}
	k.waiters++
	l.mu.Unlock()

	release := func() {
		l.mu.Lock()
		defer l.mu.Unlock()
		if k.waiters--; k.waiters == 0 {
			delete(l.locks, key)
		}
	}
	select {
	case k.turn <- struct{}{}:
		return func() { <-k.turn; release() }, nil
	case <-ctx.Done():
		release()
		return nil, ctx.Err()
	}
}
