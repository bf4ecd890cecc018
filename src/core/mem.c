/* core/mem.c - allocation that aborts on OOM, request arenas and growable buffers. */
#include "core/mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void oom(size_t n)
{
    fprintf(stderr, "opsledger: out of memory allocating %zu bytes\n", n);
    abort();
}

void *ol_xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        oom(n);
    return p;
}

void *ol_xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p)
        oom(n * size);
    return p;
}

void *ol_xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q)
        oom(n);
    return q;
}

char *ol_xstrdup(const char *s)
{
    return ol_xstrndup(s, strlen(s));
}

char *ol_xstrndup(const char *s, size_t n)
{
    char *p = ol_xmalloc(n + 1);
    memcpy(p, s, n);
    p[n] = 0;
    return p;
}

/* ---- arena ------------------------------------------------------------------------------- */

#define ARENA_BLOCK 8192

struct ol_arena_block {
    ol_arena_block_t *next;
    size_t used, cap;
    _Alignas(16) unsigned char data[];
};

void ol_arena_init(ol_arena_t *a)
{
    a->head = NULL;
}

void ol_arena_clear(ol_arena_t *a)
{
    ol_arena_block_t *b = a->head;
    while (b) {
        ol_arena_block_t *next = b->next;
        free(b);
        b = next;
    }
    a->head = NULL;
}

void *ol_arena_alloc(ol_arena_t *a, size_t n)
{
    n = (n + 15) & ~(size_t)15;
    ol_arena_block_t *b = a->head;
    if (!b || b->cap - b->used < n) {
        size_t cap = n > ARENA_BLOCK ? n : ARENA_BLOCK;
        b = ol_xmalloc(sizeof(*b) + cap);
        b->used = 0;
        b->cap = cap;
        b->next = a->head;
        a->head = b;
    }
    void *p = b->data + b->used;
    b->used += n;
    return p;
}

char *ol_arena_strndup(ol_arena_t *a, const char *s, size_t n)
{
    char *p = ol_arena_alloc(a, n + 1);
    memcpy(p, s, n);
    p[n] = 0;
    return p;
}

char *ol_arena_strdup(ol_arena_t *a, const char *s)
{
    return ol_arena_strndup(a, s, strlen(s));
}

char *ol_arena_printf(ol_arena_t *a, const char *fmt, ...)
{
    va_list ap, ap2;
    va_start(ap, fmt);
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        n = 0;
    char *p = ol_arena_alloc(a, (size_t)n + 1);
    vsnprintf(p, (size_t)n + 1, fmt, ap2);
    va_end(ap2);
    return p;
}

/* ---- buf --------------------------------------------------------------------------------- */

void ol_buf_init(ol_buf_t *b)
{
    b->p = NULL;
    b->len = b->cap = 0;
}

void ol_buf_clear(ol_buf_t *b)
{
    free(b->p);
    ol_buf_init(b);
}

static void reserve(ol_buf_t *b, size_t extra)
{
    if (b->len + extra + 1 <= b->cap)
        return;
    size_t cap = b->cap ? b->cap * 2 : 256;
    while (cap < b->len + extra + 1)
        cap *= 2;
    b->p = ol_xrealloc(b->p, cap);
    b->cap = cap;
}

void ol_buf_append(ol_buf_t *b, const void *data, size_t n)
{
    reserve(b, n);
    memcpy(b->p + b->len, data, n);
    b->len += n;
    b->p[b->len] = 0;
}

void ol_buf_puts(ol_buf_t *b, const char *s)
{
    ol_buf_append(b, s, strlen(s));
}

void ol_buf_vprintf(ol_buf_t *b, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n <= 0) {
        reserve(b, 0);
        b->p[b->len] = 0;
        return;
    }
    reserve(b, (size_t)n);
    vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
}

void ol_buf_printf(ol_buf_t *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    ol_buf_vprintf(b, fmt, ap);
    va_end(ap);
}

char *ol_buf_steal(ol_buf_t *b)
{
    reserve(b, 0);
    b->p[b->len] = 0; /* an empty buffer's first allocation holds no terminator yet */
    char *p = b->p;
    ol_buf_init(b);
    return p;
}
