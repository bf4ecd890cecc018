/* core/proxy.c - the client address behind trusted reverse proxies (S9, X-Forwarded-For). */
#include "core/proxy.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    int family;
    unsigned char a[16];
    int bits;
} net_t;

/* Parses "ADDR" or "ADDR/BITS" of len bytes; 0 or -1. */
static int parse_net(const char *s, size_t len, net_t *n)
{
    char buf[64];
    while (len && isspace((unsigned char)*s))
        s++, len--;
    while (len && isspace((unsigned char)s[len - 1]))
        len--;
    if (!len || len >= sizeof buf)
        return -1;
    memcpy(buf, s, len);
    buf[len] = 0;
    char *slash = strchr(buf, '/');
    if (slash)
        *slash = 0;
    if (inet_pton(AF_INET, buf, n->a) == 1)
        n->family = AF_INET, n->bits = 32;
    else if (inet_pton(AF_INET6, buf, n->a) == 1)
        n->family = AF_INET6, n->bits = 128;
    else
        return -1;
    if (slash) {
        char *end;
        long b = strtol(slash + 1, &end, 10);
        if (*end || end == slash + 1 || b < 0 || b > n->bits)
            return -1;
        n->bits = (int)b;
    }
    return 0;
}

static int in_net(const net_t *addr, const net_t *net)
{
    if (addr->family != net->family)
        return 0;
    int full = net->bits / 8, rest = net->bits % 8;
    if (memcmp(addr->a, net->a, (size_t)full))
        return 0;
    unsigned char mask = (unsigned char)(0xff << (8 - rest));
    return !rest || (addr->a[full] & mask) == (net->a[full] & mask);
}

int ol_proxy_list_check(const char *list, char *err, size_t errlen)
{
    for (const char *p = list; p && *p;) {
        size_t len = strcspn(p, ",");
        net_t n;
        if (parse_net(p, len, &n)) {
            snprintf(err, errlen, "trusted_proxies: '%.*s' is not an IP address or CIDR block "
                     "(e.g. 127.0.0.1, 10.0.0.0/8, ::1)", (int)len, p);
            return -1;
        }
        p += len + (p[len] == ',');
    }
    return 0;
}

/* One address, without a prefix length. */
static int parse_host(const char *s, size_t len, net_t *n)
{
    return parse_net(s, len, n) || n->bits != (n->family == AF_INET ? 32 : 128) ? -1 : 0;
}

static int trusted(const char *list, const char *s, size_t len)
{
    net_t addr, net;
    if (parse_host(s, len, &addr))
        return 0;
    for (const char *p = list; p && *p;) {
        size_t n = strcspn(p, ",");
        if (parse_net(p, n, &net) == 0 && in_net(&addr, &net))
            return 1;
        p += n + (p[n] == ',');
    }
    return 0;
}

void ol_proxy_client_ip(const char *list, const char *peer, const char *xff, char *out,
                        size_t outlen)
{
    snprintf(out, outlen, "%s", peer);
    if (!list || !*list || !xff || !trusted(list, peer, strlen(peer)))
        return;
    /* Walk the hops from the right: each was appended by the hop after it. */
    for (size_t end = strlen(xff); end > 0;) {
        size_t start = end;
        while (start > 0 && xff[start - 1] != ',')
            start--;
        net_t hop;
        if (parse_host(xff + start, end - start, &hop))
            return;
        char txt[INET6_ADDRSTRLEN];
        inet_ntop(hop.family, hop.a, txt, sizeof txt);
        snprintf(out, outlen, "%s", txt);
        if (!trusted(list, txt, strlen(txt)))
            return;
        end = start ? start - 1 : 0;
    }
}
