#ifndef KLAXON_CJEMALLOC_H
#define KLAXON_CJEMALLOC_H

#include <stdint.h>

/// jemalloc's version string ("5.3.0-0-g..."), or NULL when the process does not allocate
/// through jemalloc.
const char *klaxon_jemalloc_version(void);

/// Bytes this thread has allocated through jemalloc so far (`thread.allocated`), or -1 when that
/// cannot be read.
int64_t klaxon_jemalloc_thread_allocated(void);

#endif
