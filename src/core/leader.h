/* core/leader.h - which `serve` process of a database runs the periodic sweeps.
 *
 * Several `serve` processes may share one PostgreSQL database; the sweeps that act on time
 * (SLA timers, level rises, periodic surveys, access reviews, account expiry ...) run on one of
 * them, the leader, which holds the lease (ol_db_lease: an advisory lock on a session of its
 * own). serve's loop calls ol_leader_tick() every second before the sweeps; when the leader
 * stops or dies, the server releases its lock and another node leads from its next tick. On
 * SQLite there is one node and it always leads. /readyz and /metrics show the state.
 *
 * THREAD SAFETY: ol_leader_tick() from one thread (serve's loop); the readers from any. */
#ifndef OL_LEADER_H
#define OL_LEADER_H
#include "core/db.h"

/* Names this node "HOST:PORT/PID" (PORT: the one it listens on) and takes the first tick, so
 * that /readyz tells the state from the start. */
void ol_leader_init(ol_db_t *db, int port);
/* Takes or keeps the lease; logs when this node becomes or stops being the leader. Returns 1
 * when this node leads (its sweeps should run), 0 otherwise. */
int ol_leader_tick(ol_db_t *db);
/* 1 when this node led at its last tick. */
int ol_leader_is(void);
/* This node's name ("" before ol_leader_init). */
const char *ol_leader_node(void);

#endif
