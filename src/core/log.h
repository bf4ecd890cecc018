/* core/log.h - leveled logging; the level is checked before arguments are evaluated. */
#ifndef OL_LOG_H
#define OL_LOG_H

enum { OL_LOG_DEBUG, OL_LOG_INFO, OL_LOG_WARN, OL_LOG_ERROR };

extern int ol_log_level;
void ol__log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Never pass secrets, tokens or request bodies (STYLE §6 Logging). */
#define ol_log(level, ...)                                                             \
    do {                                                                               \
        if ((level) >= ol_log_level)                                                   \
            ol__log((level), __VA_ARGS__);                                             \
    } while (0)

#endif
