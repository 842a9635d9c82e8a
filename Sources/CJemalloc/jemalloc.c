// Klaxon allocates through jemalloc instead of glibc's malloc: linking this target puts
// libjemalloc ahead of libc, so every malloc and free in the process (the Swift runtime, NIO,
// SQLite, libcurl) goes to it. Measured under `make bench`'s load: see the README, *Performance*.
#include <stddef.h>
#include <jemalloc/jemalloc.h>
#include "CJemalloc.h"

// jemalloc reads this at its first allocation (MALLOC_CONF in the environment still applies on
// top). Two arenas, as glibc's cap before it: memory allocated on the event loops is freed on the
// writer thread and the other way round, and more arenas only hold more memory apart.
const char *malloc_conf = "narenas:2";

const char *klaxon_jemalloc_version(void) {
    const char *version = NULL;
    size_t length = sizeof(version);
    if (mallctl("version", &version, &length, NULL, 0) != 0) return NULL;
    return version;
}

int64_t klaxon_jemalloc_thread_allocated(void) {
    uint64_t allocated = 0;
    size_t length = sizeof(allocated);
    if (mallctl("thread.allocated", &allocated, &length, NULL, 0) != 0) return -1;
    return (int64_t)allocated;
}
