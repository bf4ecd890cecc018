/* core/proxy.h - the client address behind trusted reverse proxies (S9, X-Forwarded-For). */
#ifndef OL_PROXY_H
#define OL_PROXY_H
#include <stddef.h>

/* Checks a trusted_proxies list: addresses or CIDR blocks (IPv4 or IPv6) separated by commas.
 * Returns 0, or -1 with the first bad entry named in err. */
int ol_proxy_list_check(const char *list, char *err, size_t errlen);

/* The client address for the audit trail: peer, unless peer is in the trusted list and the
 * X-Forwarded-For header xff (may be NULL) names hops; then the right-most hop that is not a
 * trusted proxy (hops that are not addresses end the walk). A client cannot forge its own
 * address this way, because only what trusted proxies appended is believed. out >= 46 bytes. */
void ol_proxy_client_ip(const char *list, const char *peer, const char *xff, char *out,
                        size_t outlen);

#endif
