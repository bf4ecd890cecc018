/* api/web.h - the browser UI: its static files and the schema it is generated from. */
#ifndef OL_API_WEB_H
#define OL_API_WEB_H
#include <stddef.h>

#include "api/api.h"

/* Serves the built UI under the web root (config web_root) for a GET/HEAD of a non-API path:
 * a file, or index.html for a UI route asked for by a browser. 0 when it did not reply (a UI
 * route asked for by a script: the caller answers 404). */
int ol_web_serve(ol_req_t *r);
/* 1 when the client asks for HTML (a browser), so "/" is the UI rather than the JSON index. */
int ol_web_wants_html(ol_req_t *r);
/* The default web root: web/dist beside the running binary. 0, or -1 when unknown. */
int ol_web_default_root(char *out, size_t len);
/* GET /api/v1/schema: every record type as the UI needs it, with what the caller may do. */
void ol_api_schema(ol_req_t *r, ol_call_t *call);

#endif
