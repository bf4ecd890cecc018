/* api/web_static.c - serves the built browser UI (web/dist) for GET/HEAD of non-API paths:
 * files under the web root with their MIME type and validators, and index.html for the UI's own
 * routes, so a reload of /articles/KB-000001 works. Every answer carries the UI's strict
 * Content-Security-Policy. Paths are checked before touching the file system, and the resolved
 * file must stay inside the resolved root (no "..", no symlink leading out). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "api/api.h"
#include "api/web.h"
#include "core/config.h"
#include "core/log.h"

/* The largest file served; the UI's biggest bundle is far below it. */
#define WEB_MAX_FILE (16L << 20)
#define WEB_MAX_PATH 512

/* No inline script or style, no eval; images may be data: URIs (the TOTP QR code is an SVG
 * shown through <img>, where SVG cannot run script); nothing may frame the UI. */
static const char csp[] = "default-src 'none'; script-src 'self'; style-src 'self'; "
                          "img-src 'self' data:; font-src 'self'; connect-src 'self'; "
                          "manifest-src 'self'; base-uri 'none'; form-action 'self'; "
                          "frame-ancestors 'none'; object-src 'none'";

static pthread_once_t root_once = PTHREAD_ONCE_INIT;
static char root[PATH_MAX]; /* resolved web root, "" when there is none */

int ol_web_default_root(char *out, size_t len)
{
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0)
        return -1;
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (!slash)
        return -1;
    *slash = '\0';
    return snprintf(out, len, "%s/web/dist", exe) < (int)len ? 0 : -1;
}

static void resolve_root(void)
{
    const char *want = ol_config()->web_root;
    char def[PATH_MAX];
    if (!want[0]) {
        if (ol_web_default_root(def, sizeof def))
            return;
        want = def;
    }
    if (!realpath(want, root)) {
        ol_log(OL_LOG_WARN, "web_root %s: %s; the web UI is not served (run make)", want,
               strerror(errno));
        root[0] = '\0';
    }
}


static const char *mime_of(const char *path)
{
    static const struct {
        const char *ext, *type;
    } types[] = {
        {".html", "text/html; charset=utf-8"},   {".js", "text/javascript; charset=utf-8"},
        {".mjs", "text/javascript; charset=utf-8"}, {".css", "text/css; charset=utf-8"},
        {".json", "application/json"},           {".svg", "image/svg+xml"},
        {".png", "image/png"},                   {".ico", "image/x-icon"},
        {".woff2", "font/woff2"},                {".woff", "font/woff"},
        {".txt", "text/plain; charset=utf-8"},   {".webmanifest", "application/manifest+json"},
        {".map", "application/json"},
    };
    const char *dot = strrchr(path, '.');
    const char *slash = strrchr(path, '/');
    if (dot && (!slash || dot > slash))
        for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
            if (!strcasecmp(dot, types[i].ext))
                return types[i].type;
    return "application/octet-stream";
}

/* 1 when every segment of p (after its leading '/') is a plain name: letters, digits and
 * "._-~", not starting with '.', so "..", hidden files, backslashes, NULs, and encoded
 * separators never reach the file system. */
static int path_plain(const char *p)
{
    if (strlen(p) > WEB_MAX_PATH)
        return 0;
    int seg_start = 1;
    for (const char *s = p + 1; *s; s++) {
        char ch = *s;
        if (ch == '/') {
            if (seg_start)
                return 0; /* "//" */
            seg_start = 1;
            continue;
        }
        if (seg_start && ch == '.')
            return 0;
        seg_start = 0;
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '.' || ch == '_' || ch == '-' || ch == '~'))
            return 0;
    }
    return 1;
}

static void security_headers(ol_req_t *r)
{
    ol_reply_header(r, "Content-Security-Policy", csp);
    ol_reply_header(r, "Referrer-Policy", "no-referrer");
    ol_reply_header(r, "X-Frame-Options", "DENY");
    ol_reply_header(r, "Cross-Origin-Opener-Policy", "same-origin");
}

/* ol_reply() marks every answer no-store (right for the API); files say their own policy. */
static void cache_control(ol_req_t *r, const char *value)
{
    MHD_del_response_header(r->resp, "Cache-Control", "no-store");
    ol_reply_header(r, "Cache-Control", value);
}

static void not_found(ol_req_t *r, const char *why)
{
    ol_reply(r, 404, "text/plain; charset=utf-8", why, strlen(why));
    security_headers(r);
}

/* Opens rel (relative to the root) as a regular file inside the root; fd or -1 (errno). */
static int open_inside(const char *rel, struct stat *st)
{
    char full[PATH_MAX], real[PATH_MAX];
    if (snprintf(full, sizeof full, "%s/%s", root, rel) >= (int)sizeof full) {
        errno = ENAMETOOLONG;
        return -1;
    }
    if (!realpath(full, real))
        return -1;
    size_t n = strlen(root);
    if (strncmp(real, root, n) != 0 || real[n] != '/') {
        errno = EACCES; /* a symlink that leads out of the web root */
        return -1;
    }
    int fd = open(real, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return -1;
    if (fstat(fd, st) || !S_ISREG(st->st_mode) || st->st_size > WEB_MAX_FILE) {
        close(fd);
        errno = EACCES;
        return -1;
    }
    return fd;
}

static void send_file(ol_req_t *r, int fd, const struct stat *st, const char *name, int immutable)
{
    char etag[64], lm[64];
    snprintf(etag, sizeof etag, "\"%llx-%llx\"", (unsigned long long)st->st_size,
             (unsigned long long)st->st_mtim.tv_sec * 1000000000ULL + st->st_mtim.tv_nsec);
    struct tm tm;
    gmtime_r(&st->st_mtim.tv_sec, &tm);
    strftime(lm, sizeof lm, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    const char *inm = ol_req_header(r, "If-None-Match");
    const char *ims = ol_req_header(r, "If-Modified-Since");
    if ((inm && strstr(inm, etag)) || (!inm && ims && !strcmp(ims, lm))) {
        close(fd);
        ol_reply(r, 304, mime_of(name), "", 0);
    } else {
        char *buf = ol_arena_alloc(&r->arena, (size_t)st->st_size + 1);
        size_t got = 0;
        while (got < (size_t)st->st_size) {
            ssize_t k = read(fd, buf + got, (size_t)st->st_size - got);
            if (k < 0 && errno == EINTR)
                continue;
            if (k <= 0)
                break;
            got += (size_t)k;
        }
        close(fd);
        if (got != (size_t)st->st_size) {
            ol_reply(r, 500, "text/plain; charset=utf-8", "read error", 10);
            security_headers(r);
            return;
        }
        ol_reply(r, 200, mime_of(name), buf, got);
    }
    ol_reply_header(r, "ETag", etag);
    ol_reply_header(r, "Last-Modified", lm);
    cache_control(r, immutable ? "public, max-age=31536000, immutable" : "no-cache");
    security_headers(r);
}

int ol_web_wants_html(ol_req_t *r)
{
    const char *accept = ol_req_header(r, "Accept");
    return accept && strstr(accept, "text/html") != NULL;
}

int ol_web_serve(ol_req_t *r)
{
    const char *p = r->path;
    const char *last = strrchr(p, '/');
    int hashed = !strncmp(p, "/assets/", 8);
    /* A route of the UI itself (no extension) is index.html for a browser; scripts asking for
     * an unknown path keep getting the API's 404 problem. */
    int ui_route = !hashed && !strchr(last ? last : p, '.');
    if (ui_route && !ol_web_wants_html(r))
        return 0;
    pthread_once(&root_once, resolve_root);
    r->route = "/ (web UI)";
    if (!root[0]) {
        not_found(r, "The web UI is not built: run make (see docs/admin-guide.md, web_root).\n");
        return 1;
    }
    if (!path_plain(p)) {
        not_found(r, "not found\n");
        return 1;
    }
    if (ui_route)
        p = "/index.html";
    struct stat st;
    int fd = open_inside(p + 1, &st);
    if (fd < 0) {
        not_found(r, "not found\n");
        return 1;
    }
    /* Vite names the files under assets/ by their content hash, so they never change. */
    send_file(r, fd, &st, p, hashed);
    return 1;
}
