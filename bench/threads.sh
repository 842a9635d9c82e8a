#!/usr/bin/env bash
# Where Klaxon's CPU goes under the `make bench` load, by thread: a tool for working on the rate.
#
#   bash bench/threads.sh [KLAXON_BINARY] [ALERTS]
#
# Starts the release binary (default: .build-bench's, built by `make bench`) on the bench
# configuration, sends ALERTS (100000) alerts with bench/alerts.lua, and prints, for each thread
# name (NIO event loops, the writer, the syncer, ...), its CPU in microseconds per alert, plus the
# rate, wrk's latency and the ingest metrics. Environment: THREADS (2), CONNECTIONS (256; `make bench` takes 256 or 512, see bench/bench.sh).
# PERF_OUT=FILE also records a `perf record -g` profile of the server during the load into FILE
# (read it with `perf report -i FILE --no-children`); PERF_ARGS replaces `-F 1999 -g` (e.g.
# `-F 499 --call-graph dwarf,16384` for whole Swift call chains). PERF_STAT_EVENTS=LIST counts
# those events per thread instead (`perf stat --per-thread -x,`, into PERF_OUT): see bench/counts.sh.
# Everything lives in a temporary folder, removed at the end.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/bench/klaxon-config.sh"
KLAXON=${1:-$ROOT/.build-bench/release/klaxon}
ALERTS=${2:-100000}
THREADS=${THREADS:-2}
CONNECTIONS=${CONNECTIONS:-256}
KLAXON=$(realpath "$KLAXON" 2>/dev/null || echo "$KLAXON")
[ -x "$KLAXON" ] || { echo "no binary at $KLAXON (run make bench, or swift build -c release --static-swift-stdlib --scratch-path .build-bench --product klaxon)" >&2; exit 1; }
command -v wrk >/dev/null || { echo "wrk is missing (apt-get install wrk)" >&2; exit 1; }

WORK=$(mktemp -d /tmp/klaxon-threads.XXXXXX)
PID=""
trap '[ -n "$PID" ] && kill -TERM "$PID" 2>/dev/null; wait 2>/dev/null; rm -rf "$WORK"' EXIT
# Below the kernel's ephemeral range, so no client connection of an earlier run holds the port.
EPHEMERAL_LOW=$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)
[ "$EPHEMERAL_LOW" -gt 12000 ] 2>/dev/null || EPHEMERAL_LOW=32768
PORT=$((10000 + RANDOM % (EPHEMERAL_LOW - 10000)))
mkdir -p "$WORK/done"
write_klaxon_config "$WORK" "$PORT" bench-token
(cd "$WORK" && exec "$KLAXON" serve --config "$WORK/klaxon.yaml") > "$WORK/klaxon.log" 2>&1 &
PID=$!
for _ in $(seq 300); do
    kill -0 "$PID" 2>/dev/null || { echo "klaxon exited:" >&2; cat "$WORK/klaxon.log" >&2; exit 1; }
    curl -fsS -o /dev/null --max-time 1 "http://127.0.0.1:$PORT/readyz" 2>/dev/null && break
    sleep 0.1
done

# Per thread: "tid name ticks" (utime + stime); names can hold spaces, so read comm on its own.
snapshot() {
    for t in /proc/"$PID"/task/*; do
        local tid=${t##*/} name ticks
        name=$(tr ' ' '_' 2>/dev/null < "$t/comm") || continue
        ticks=$(awk '{print $14 + $15}' "$t/stat" 2>/dev/null) || continue
        switches=$(awk '/^(non)?voluntary_ctxt_switches/ {s += $2} END {print s + 0}' "$t/status" 2>/dev/null) || continue
        echo "$tid $name $ticks $switches"
    done
}
# One alert first, so the writer thread exists before the snapshot and before perf attaches
# (perf -p follows only the threads that exist when it starts).
curl -fsS -o /dev/null --max-time 5 -H "Authorization: Bearer bench-token" -H "Content-Type: application/json" \
    --data '{"version":"4","groupKey":"warm-up","status":"firing","alerts":[{"status":"firing","labels":{"alertname":"WarmUp"}}]}' \
    "http://127.0.0.1:$PORT/v1/alerts/alertmanager" || { echo "the warm-up alert was refused" >&2; exit 1; }
snapshot > "$WORK/before"
PERFPID=""
if [ -n "${PERF_OUT:-}" ] && [ -n "${PERF_STAT_EVENTS:-}" ]; then
    perf stat --per-thread -x, -e "$PERF_STAT_EVENTS" -p "$PID" -o "$PERF_OUT" >/dev/null 2>&1 &
    PERFPID=$!
elif [ -n "${PERF_OUT:-}" ]; then
    perf record -q ${PERF_ARGS:--F 1999 -g} -p "$PID" -o "$PERF_OUT" >/dev/null 2>&1 &
    PERFPID=$!
fi
wrk -t"$THREADS" -c"$CONNECTIONS" -d90s --timeout 10s --latency -s "$ROOT/bench/alerts.lua" \
    "http://127.0.0.1:$PORT/v1/alerts/alertmanager" -- klaxon "$ALERTS" "$THREADS" "$WORK/done" bench-token > "$WORK/wrk.txt" 2>&1 || true
snapshot > "$WORK/after"
[ -n "$PERFPID" ] && { kill -INT "$PERFPID"; wait "$PERFPID" || true; }
grep -E "Requests/sec|50%|75%|90%|99%|Non-2xx" "$WORK/wrk.txt" || true
REQ=$(sed -n 's/^BENCHRESULT.* requests=\([0-9]*\).*/\1/p' "$WORK/wrk.txt")
[ -n "$REQ" ] || { cat "$WORK/wrk.txt"; exit 1; }
HZ=$(getconf CLK_TCK)
echo "requests: $REQ; CPU per alert (us) and context switches per 100 alerts, by thread name:"
awk -v hz="$HZ" -v n="$REQ" 'NR == FNR { before[$1] = $3; sw[$1] = $4; next }
    { d = $3 - before[$1]; by[$2] += d; all += d; c = $4 - sw[$1]; cs[$2] += c; allcs += c }
    END { for (k in by) if (by[k] > 0) printf "  %-24s %8.1f %8.1f\n", k, by[k] / hz * 1e6 / n, cs[k] * 100 / n
          printf "  %-24s %8.1f %8.1f\n", "all", all / hz * 1e6 / n, allcs * 100 / n }' \
    "$WORK/before" "$WORK/after" | sort -k2 -n -r
curl -fsS "http://127.0.0.1:$PORT/metrics" | grep -E '^klaxon_(ingest|store|commit|group)[a-z_]*(_sum|_count|_total)?[{ ]' | grep -v _bucket | head -30 || true
