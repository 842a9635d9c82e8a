// Klaxon allocates through jemalloc instead of glibc's malloc: linking this target puts
// libjemalloc ahead of libc, so every malloc and free in the process (the Swift runtime, NIO,
// SQLite, libcurl) goes to it. Measured under `make bench`'s load: see the README, *Performance*.
#include <stddef.h>
#include <jemalloc/jemalloc.h>
#include "CJemalloc.h"

// jemalloc reads this at its first allocation (MALLOC_CONF in the environment still applies on
// top). Two arenas: memory allocated on the event loops is freed on the writer thread and the
// other way round, and more arenas only hold more memory apart (`make bench-escalation` peaked at
// 103 MiB with two, 137 MiB with jemalloc's default of eight on two cores, at the same
// `make bench` rate). glibc's malloc, before, needed the same cap (172 MiB without, 97 with).
// Its memory on transparent huge pages where the system offers them (`madvise` mode, as on
// Debian): each miss in the processor's address cache costs a walk of the page tables, in a
// virtual machine of two sets of them; with 2 MiB pages far fewer miss. Under `make bench`'s load
// 9 of 12 alternating pairs were faster, about 4% on average (see the README, *Performance*).
const char *malloc_conf = "narenas:2,thp:always,metadata_thp:always";

const char *klaxon_jemalloc_version(void) {
    const char *version = NULL;
    size_t length = sizeof(version);
    if (mallctl("version", &version, &length, NULL, 0) != 0 || version == NULL) return "unknown";
    return version;
}

int64_t klaxon_jemalloc_thread_allocated(void) {
    uint64_t allocated = 0;
    size_t length = sizeof(allocated);
    if (mallctl("thread.allocated", &allocated, &length, NULL, 0) != 0) return -1;
    return (int64_t)allocated;
}
