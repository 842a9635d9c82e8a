#ifndef KLAXON_CJEMALLOC_H
#define KLAXON_CJEMALLOC_H

#include <stdint.h>

/// jemalloc's version string ("5.3.0-0-g..."; "unknown" if jemalloc would not say).
const char *_Nonnull klaxon_jemalloc_version(void);

/// Bytes this thread has allocated through jemalloc so far (`thread.allocated`), or -1 when that
/// cannot be read.
int64_t klaxon_jemalloc_thread_allocated(void);

#endif
