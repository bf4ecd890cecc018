/* records/openapi.h - the OpenAPI 3 document, generated from the declared record types. */
#ifndef OL_OPENAPI_H
#define OL_OPENAPI_H
#include <jansson.h>

/* A new reference to the whole document. */
json_t *ol_openapi_document(const char *version);

#endif
