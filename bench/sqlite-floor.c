// `make bench-sqlite`: what SQLite itself costs per alert on this machine, with no Swift, no HTTP
// and no engine. This is the floor under Klaxon's writer in `make bench`.
//
// Each alert is a ~600-byte row (like Klaxon's stored alert) plus a short timeline row, in 200
// incidents taken in turn. Commits hold BATCH alerts. The file is in WAL mode with
// synchronous=FULL, so every commit is synced. It prints alerts/s and CPU (user + system) per
// alert for three layouts:
//   append:       rowid tables only (what Klaxon's inbox tables are)
//   by incident:  plus an index on (incident, seq) and one on (incident, id)
//   by key:       plus a unique index on (incident, fingerprint) and one on (incident, id)
// and, for comparison, a design without a row per alert in SQLite:
//   journal:      each commit's alerts (body, fingerprint, timeline message) appended to a flat
//                 file with one write and one fdatasync; nothing else
//   journal+chunk: the same, and every CHUNK (4096) alerts one SQLite transaction (synced) with
//                 one row per incident holding all of that incident's alerts since the last one,
//                 indexed by incident: what an alert store keyed by incident would cost if alerts
//                 were committed to a journal first and filed in SQLite in bulk
//
//   sqlite-floor DIR [ALERTS] [BATCH...]
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>
#include <fcntl.h>

static double cpu_seconds(void) {
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    return u.ru_utime.tv_sec + u.ru_utime.tv_usec / 1e6 + u.ru_stime.tv_sec + u.ru_stime.tv_usec / 1e6;
}

static void check(int rc, sqlite3 *db, const char *what) {
    if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW) {
        fprintf(stderr, "sqlite-floor: %s: %s\n", what, sqlite3_errmsg(db));
        exit(1);
    }
}

static void run(const char *dir, const char *layout, const char *indexes, int total, int batch) {
    char path[4096], wal[4200], shm[4200];
    snprintf(path, sizeof path, "%s/floor.db", dir);
    snprintf(wal, sizeof wal, "%s-wal", path);
    snprintf(shm, sizeof shm, "%s-shm", path);
    unlink(path); unlink(wal); unlink(shm);

    sqlite3 *db;
    check(sqlite3_open(path, &db), db, "open");
    check(sqlite3_exec(db,
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
        "CREATE TABLE alert (seq INTEGER PRIMARY KEY, incident INTEGER NOT NULL, fingerprint TEXT NOT NULL,"
        "  status TEXT NOT NULL, received_at REAL NOT NULL, body TEXT NOT NULL);"
        "CREATE TABLE timeline (id INTEGER PRIMARY KEY, incident INTEGER NOT NULL, at REAL NOT NULL,"
        "  kind TEXT NOT NULL, message TEXT NOT NULL);", 0, 0, 0), db, "schema");
    if (*indexes) check(sqlite3_exec(db, indexes, 0, 0, 0), db, "indexes");

    sqlite3_stmt *alert, *entry;
    check(sqlite3_prepare_v2(db, "INSERT INTO alert (incident, fingerprint, status, received_at, body) VALUES (?, ?, 'firing', ?, ?)", -1, &alert, 0), db, "prepare");
    check(sqlite3_prepare_v2(db, "INSERT INTO timeline (incident, at, kind, message) VALUES (?, ?, 'alert', ?)", -1, &entry, 0), db, "prepare");
    char body[601];
    memset(body, 'x', 600);
    body[600] = 0;

    double cpu0 = cpu_seconds();
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int i = 0; i < total;) {
        check(sqlite3_exec(db, "BEGIN", 0, 0, 0), db, "begin");
        for (int j = 0; j < batch && i < total; j++, i++) {
            char fingerprint[32], message[96];
            snprintf(fingerprint, sizeof fingerprint, "%016x", (unsigned)i * 2654435761u);
            snprintf(message, sizeof message, "alert BenchAlert firing: bench alert %d", i);
            sqlite3_bind_int(alert, 1, i % 200);
            sqlite3_bind_text(alert, 2, fingerprint, -1, SQLITE_TRANSIENT);
            sqlite3_bind_double(alert, 3, i);
            sqlite3_bind_text(alert, 4, body, 600, SQLITE_STATIC);
            check(sqlite3_step(alert), db, "insert alert");
            sqlite3_reset(alert);
            sqlite3_bind_int(entry, 1, i % 200);
            sqlite3_bind_double(entry, 2, i);
            sqlite3_bind_text(entry, 3, message, -1, SQLITE_TRANSIENT);
            check(sqlite3_step(entry), db, "insert timeline");
            sqlite3_reset(entry);
        }
        check(sqlite3_exec(db, "COMMIT", 0, 0, 0), db, "commit");
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double elapsed = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
    printf("%-14s %6d %10.0f %12.1f\n", layout, batch, total / elapsed, (cpu_seconds() - cpu0) * 1e6 / total);
    fflush(stdout);
    sqlite3_finalize(alert);
    sqlite3_finalize(entry);
    sqlite3_close(db);
    unlink(path); unlink(wal); unlink(shm);
}

enum { CHUNK = 4096, INCIDENTS = 200 };

// The journal layouts: a flat file synced per commit, and (chunked) SQLite rows per incident.
static void run_journal(const char *dir, int chunked, int total, int batch) {
    char path[4096], jpath[4096], wal[4200], shm[4200];
    snprintf(path, sizeof path, "%s/floor.db", dir);
    snprintf(jpath, sizeof jpath, "%s/floor.journal", dir);
    snprintf(wal, sizeof wal, "%s-wal", path);
    snprintf(shm, sizeof shm, "%s-shm", path);
    unlink(path); unlink(wal); unlink(shm); unlink(jpath);
    int fd = open(jpath, O_WRONLY | O_CREAT | O_APPEND, 0600);
    if (fd < 0) { perror("sqlite-floor: journal"); exit(1); }

    sqlite3 *db = 0;
    sqlite3_stmt *chunk = 0;
    if (chunked) {
        check(sqlite3_open(path, &db), db, "open");
        check(sqlite3_exec(db,
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
            "CREATE TABLE alert_chunk (seq INTEGER PRIMARY KEY, incident INTEGER NOT NULL, count INTEGER NOT NULL, body BLOB NOT NULL);"
            "CREATE INDEX alert_chunk_incident ON alert_chunk (incident, seq);", 0, 0, 0), db, "schema");
        check(sqlite3_prepare_v2(db, "INSERT INTO alert_chunk (incident, count, body) VALUES (?, ?, ?)", -1, &chunk, 0), db, "prepare");
    }
    // Per incident, its alerts since the last chunk (the records as written to the journal).
    static char *pending[INCIDENTS];
    static size_t used[INCIDENTS], cap[INCIDENTS];
    static int count[INCIDENTS];
    for (int k = 0; k < INCIDENTS; k++) { used[k] = 0; count[k] = 0; }
    char body[601];
    memset(body, 'x', 600);
    body[600] = 0;
    size_t bufcap = (size_t)batch * 800 + 1024;
    char *buf = malloc(bufcap);

    double cpu0 = cpu_seconds();
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int sinceChunk = 0;
    for (int i = 0; i < total;) {
        size_t n = 0;
        for (int j = 0; j < batch && i < total; j++, i++) {
            int incident = i % INCIDENTS;
            size_t start = n;
            n += (size_t)snprintf(buf + n, bufcap - n, "%d\t%016x\t%d\tfiring\talert BenchAlert firing: bench alert %d\t", incident, (unsigned)i * 2654435761u, i, i);
            memcpy(buf + n, body, 600); n += 600;
            buf[n++] = '\n';
            if (chunked) {
                size_t len = n - start;
                if (used[incident] + len > cap[incident]) {
                    cap[incident] = (used[incident] + len) * 2;
                    pending[incident] = realloc(pending[incident], cap[incident]);
                }
                memcpy(pending[incident] + used[incident], buf + start, len);
                used[incident] += len;
                count[incident]++;
            }
        }
        if (write(fd, buf, n) != (ssize_t)n || fdatasync(fd) != 0) { perror("sqlite-floor: journal write"); exit(1); }
        sinceChunk += batch;
        if (chunked && (sinceChunk >= CHUNK || i >= total)) {
            sinceChunk = 0;
            check(sqlite3_exec(db, "BEGIN", 0, 0, 0), db, "begin");
            for (int k = 0; k < INCIDENTS; k++) {
                if (count[k] == 0) continue;
                sqlite3_bind_int(chunk, 1, k);
                sqlite3_bind_int(chunk, 2, count[k]);
                sqlite3_bind_blob(chunk, 3, pending[k], (int)used[k], SQLITE_STATIC);
                check(sqlite3_step(chunk), db, "insert chunk");
                sqlite3_reset(chunk);
                used[k] = 0; count[k] = 0;
            }
            check(sqlite3_exec(db, "COMMIT", 0, 0, 0), db, "commit");
        }
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double elapsed = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
    printf("%-14s %6d %10.0f %12.1f\n", chunked ? "journal+chunk" : "journal", batch, total / elapsed, (cpu_seconds() - cpu0) * 1e6 / total);
    fflush(stdout);
    free(buf);
    close(fd);
    if (db) { sqlite3_finalize(chunk); sqlite3_close(db); }
    unlink(path); unlink(wal); unlink(shm); unlink(jpath);
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: sqlite-floor DIR [ALERTS] [BATCH...]\n");
        return 2;
    }
    int total = argc > 2 ? atoi(argv[2]) : 250000;
    int batches[16], n = 0;
    for (int a = 3; a < argc && n < 16; a++) batches[n++] = atoi(argv[a]);
    if (n == 0) { batches[n++] = 20; batches[n++] = 64; }
    printf("SQLite %s, WAL, synchronous=FULL, %d alerts (a 600-byte alert row and a timeline row each), 200 incidents\n\n",
           sqlite3_libversion(), total);
    printf("%-14s %6s %10s %12s\n", "layout", "batch", "alerts/s", "CPU/alert us");
    for (int b = 0; b < n; b++) {
        run(argv[1], "append", "", total, batches[b]);
        run(argv[1], "by incident", "CREATE INDEX alert_incident ON alert (incident, seq); CREATE INDEX timeline_incident ON timeline (incident, id);", total, batches[b]);
        run(argv[1], "by key", "CREATE UNIQUE INDEX alert_key ON alert (incident, fingerprint); CREATE INDEX timeline_incident ON timeline (incident, id);", total, batches[b]);
        run_journal(argv[1], 0, total, batches[b]);
        run_journal(argv[1], 1, total, batches[b]);
    }
    return 0;
}
