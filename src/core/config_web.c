/* core/config_web.c - the check of the web UI's setting (web_root). */
#include <stdio.h>
#include <sys/stat.h>

#include "core/config.h"

int ol_config_check_web(const ol_config_t *cfg, char *err, size_t errlen)
{
    struct stat st;
    if (cfg->web_root[0] && (stat(cfg->web_root, &st) || !S_ISDIR(st.st_mode))) {
        snprintf(err, errlen, "web_root = '%s': not a directory (the built UI, web/dist; empty = "
                              "web/dist beside the binary)", cfg->web_root);
        return -1;
    }
    return 0;
}
