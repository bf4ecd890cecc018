/* core/migrations.h - the versioned schema embedded in the binary (migrations/<backend>/). */
#ifndef OL_MIGRATIONS_H
#define OL_MIGRATIONS_H

typedef struct {
    int version;         /* 1, 2, ... from the NNNN_ file name prefix; 0 ends the list */
    const char *name;    /* the file name, for messages */
    const char *sql;     /* one or more statements separated by ';' at line ends */
} ol_migration_t;

extern const ol_migration_t ol_migrations_sqlite[];
extern const ol_migration_t ol_migrations_pg[];

#endif
