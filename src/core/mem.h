/* core/mem.h - allocation that aborts on OOM, request arenas and growable buffers. */
#ifndef OL_MEM_H
#define OL_MEM_H
#include <stddef.h>
#include <stdarg.h>

/* One OOM policy (STYLE §6): these abort the process instead of returning NULL. */
void *ol_xmalloc(size_t n);
void *ol_xcalloc(size_t n, size_t size);
void *ol_xrealloc(void *p, size_t n);
char *ol_xstrdup(const char *s);
char *ol_xstrndup(const char *s, size_t n);

/* A bump allocator: everything allocated from it is freed at once by ol_arena_clear(). */
typedef struct ol_arena_block ol_arena_block_t;
typedef struct {
    ol_arena_block_t *head;
} ol_arena_t;

void ol_arena_init(ol_arena_t *a);
void ol_arena_clear(ol_arena_t *a);
void *ol_arena_alloc(ol_arena_t *a, size_t n);
char *ol_arena_strdup(ol_arena_t *a, const char *s);
char *ol_arena_strndup(ol_arena_t *a, const char *s, size_t n);
char *ol_arena_printf(ol_arena_t *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A growable, always NUL-terminated byte buffer. Caller frees with ol_buf_clear(). */
typedef struct {
    char *p;
    size_t len, cap;
} ol_buf_t;

void ol_buf_init(ol_buf_t *b);
void ol_buf_clear(ol_buf_t *b);
void ol_buf_append(ol_buf_t *b, const void *data, size_t n);
void ol_buf_puts(ol_buf_t *b, const char *s);
void ol_buf_printf(ol_buf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void ol_buf_vprintf(ol_buf_t *b, const char *fmt, va_list ap);
/* Takes the contents (caller frees with free()); leaves b empty. */
char *ol_buf_steal(ol_buf_t *b);

#endif
