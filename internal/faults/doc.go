// Package faults has no code of its own: its tests put the whole API under
// the faults of production and check what it promises through them (see
// the README's "Reliability"). The database's connections are killed, its
// rows locked, its pool exhausted and its network cut; Redis is stopped and
// started under load; the real binary is killed with SIGKILL and stopped
// with SIGTERM mid-load; three processes share one database and one Redis.
//
// The tests touch only what they start themselves: their own PostgreSQL
// schema and connections (told apart by application_name), a redis-server
// of their own, their own API processes. The machine's PostgreSQL and
// Redis, which other tests share, are never stopped.
package faults
