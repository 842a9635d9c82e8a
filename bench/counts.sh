#!/usr/bin/env bash
# Work per alert that does not depend on how fast the machine is this minute: calls to
# swift_retain, swift_release and malloc, per alert, on the event loops and on the writer.
#
#   bash bench/counts.sh [KLAXON_BINARY] [ALERTS]
#
# The rate and the CPU per alert of `make bench` and bench/threads.sh move by 10-20% from run to
# run on these shared machines, which hides any change under about 5%. These counts repeat within
# a few percent (the writer's a little less: its per-commit work is spread over commits of
# varying size), so a change that removes copies or allocations shows at once. Fewer calls are
# not a faster server by themselves: time the change too (bench/threads.sh in alternating pairs).
#
# Needs root and `perf` with uprobes (apt-get install linux-perf); the binary built as
# `make bench` builds it (--static-swift-stdlib: the runtime's functions are in the binary) and
# linked with jemalloc (Klaxon's CJemalloc target). ALERTS defaults to 20000; the counts include
# the connections' set-up, about 1% at that size. Each call stops at a uprobe, so the run is
# slow (a few thousand alerts a second).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
KLAXON=$(realpath "${1:-$ROOT/.build-bench/release/klaxon}")
ALERTS=${2:-20000}
command -v perf >/dev/null || { echo "perf is missing (apt-get install linux-perf)" >&2; exit 1; }
[ -x "$KLAXON" ] || { echo "no binary at $KLAXON" >&2; exit 1; }
JEMALLOC=$(ldd "$KLAXON" | awk '/libjemalloc/ {print $3}')
[ -n "$JEMALLOC" ] || { echo "$KLAXON is not linked with libjemalloc" >&2; exit 1; }
address() { nm "$KLAXON" | awk -v f="$1" '$3 == f && !done { print $1; done = 1 }'; }
RETAIN=$(address swift_retain); RELEASE=$(address swift_release)
[ -n "$RETAIN" ] && [ -n "$RELEASE" ] || { echo "swift_retain is not in $KLAXON (build it with --static-swift-stdlib)" >&2; exit 1; }

# perf names a probe after its binary and address; the names are read back from its list.
GROUP="klaxon_counts_$$"
cleanup() { perf probe -q -d "$GROUP:*" >/dev/null 2>&1 || true; rm -f "$OUT"; }
OUT=$(mktemp /tmp/klaxon-counts.XXXXXX)
trap cleanup EXIT
# Event names are unique across groups: each carries this run's number.
perf probe -q -x "$KLAXON" -a "$GROUP:retain_$$=0x$RETAIN" >/dev/null
perf probe -q -x "$KLAXON" -a "$GROUP:release_$$=0x$RELEASE" >/dev/null
perf probe -q -x "$JEMALLOC" -a "$GROUP:malloc_$$=malloc" >/dev/null

REQ=$(PERF_OUT="$OUT" PERF_STAT_EVENTS="$GROUP:retain_$$,$GROUP:release_$$,$GROUP:malloc_$$" \
    bash "$ROOT/bench/threads.sh" "$KLAXON" "$ALERTS" | sed -n 's/^requests: \([0-9]*\);.*/\1/p')
[ -n "$REQ" ] || { echo "the load did not run" >&2; exit 1; }
echo "per alert ($REQ alerts)        retain   release    malloc"
# perf stat -x, --per-thread: "comm-tid,count,unit,event,..."
awk -F, -v n="$REQ" '
    NF >= 4 && $2 ~ /^[0-9]+$/ {
        kind = ($1 ~ /^NIO-/) ? "event loops" : ($1 ~ /^klaxon-writer/) ? "writer" : "other threads"
        ev = $4; sub(/.*:/, "", ev); sub(/_[0-9]+$/, "", ev)
        c[kind, ev] += $2; kinds[kind] = 1
    }
    END {
        split("event loops,writer,other threads", order, ",")
        for (i = 1; i <= 3; i++) if (order[i] in kinds)
            printf "  %-24s %9.1f %9.1f %9.2f\n", order[i], c[order[i], "retain"] / n, c[order[i], "release"] / n, c[order[i], "malloc"] / n
    }' "$OUT"
