/* core/leader.c - the leader lease's state in this process, and the log of its changes. */
#include "core/leader.h"

#include <stdatomic.h>
#include <stdio.h>
#include <unistd.h>

#include "core/log.h"

static char node[96];
static atomic_int leading;
static int ticked; /* serve's thread only */

void ol_leader_init(ol_db_t *db, int port)
{
    char host[64] = "localhost";
    if (gethostname(host, sizeof host))
        snprintf(host, sizeof host, "localhost");
    host[sizeof host - 1] = 0;
    /* 48 bytes at most: PostgreSQL keeps 63 of the lease session's application_name. */
    snprintf(node, sizeof node, "%.28s:%d/%ld", host, port, (long)getpid());
    ol_leader_tick(db);
}

const char *ol_leader_node(void)
{
    return node;
}

int ol_leader_is(void)
{
    return atomic_load(&leading);
}

int ol_leader_tick(ol_db_t *db)
{
    int rc = ol_db_lease(db, node), now = rc == 1;
    int was = atomic_exchange(&leading, now);
    if (ol_db_kind(db) == OL_DB_SQLITE) {
        if (!ticked)
            ol_log(OL_LOG_DEBUG, "cluster: a single node (SQLite): %s runs the sweeps", node);
    } else if (now && !was) {
        ol_log(OL_LOG_INFO, "cluster: this node (%s) is now the leader: it runs the sweeps",
               node);
    } else if (!now && was) {
        ol_log(OL_LOG_WARN, "cluster: this node (%s) lost the leadership: its sweeps stop",
               node);
    } else if (!ticked && rc == 0) {
        ol_log(OL_LOG_INFO, "cluster: another node leads; this node (%s) stands by", node);
    }
    ticked = 1;
    return now;
}
