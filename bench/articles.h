/* bench/articles.h - deterministic, varied knowledge-base articles (Chinese and English) for the
 * benchmark drivers: article k is always the same JSON body, so every run seeds the same data. */
#ifndef BENCH_ARTICLES_H
#define BENCH_ARTICLES_H
#include <stddef.h>

/* Writes the JSON body of article k ({"title","body","summary","category","tags","audience",
 * "owner","group"}) into out (NUL-terminated). Returns its length, or 0 when cap is too small
 * (4096 bytes always suffice). */
size_t article_json(unsigned long long k, char *out, size_t cap);

#endif
