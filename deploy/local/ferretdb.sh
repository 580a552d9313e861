#!/usr/bin/env bash
# Local FerretDB v1 (MongoDB wire protocol over SQLite files), built from deploy/local/ferretdb/.
#   deploy/local/ferretdb.sh start|stop|status|install
# Env: PV_MONGO_PORT (default: remembered or free), PV_MONGO_READY_TIMEOUT (seconds, default 60),
#      PV_FERRETDB_LOG_LEVEL (debug|info|warn|error, default info).
set -euo pipefail
SERVICE=ferretdb
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SRC_DIR="$LOCAL_DIR/ferretdb"
BIN="$CACHE_DIR/ferretdb/ferretdb"
DATA_DIR="$RUN_DIR/ferretdb/data"
PIDFILE="$RUN_DIR/ferretdb.pid"
PORTFILE="$RUN_DIR/ferretdb.port"
LOGFILE="$LOG_DIR/ferretdb.log"
PATTERN=".cache/ferretdb/ferretdb"

# Build only when our sources (or the Go toolchain) changed; Go's own cache makes rebuilds cheap too.
build() {
    command -v go >/dev/null || die "go not found: install Go 1.24+ to build FerretDB"
    local stamp="$CACHE_DIR/ferretdb/.built-$( (cat "$SRC_DIR/main.go" "$SRC_DIR/go.mod" "$SRC_DIR/go.sum"; go version) | sha256sum | cut -c1-16)"
    if [[ -x "$BIN" && -f "$stamp" ]]; then
        say "binary up to date at ${BIN#$ROOT/}"
        return 0
    fi
    say "building FerretDB into ${BIN#$ROOT/} (first build: ~2 min on 2 cores)"
    mkdir -p "$(dirname "$BIN")"
    local start=$SECONDS
    # PostgreSQL backend left out: we only use SQLite, and it shortens the build.
    (cd "$SRC_DIR" && go build -trimpath -tags ferretdb_no_postgresql -o "$BIN.tmp" .) \
        || die "go build failed (see the output above)"
    mv "$BIN.tmp" "$BIN"
    rm -f "$CACHE_DIR"/ferretdb/.built-*
    touch "$stamp"
    say "built in $((SECONDS - start))s"
}

start() {
    take_start_lock
    mkdir -p "$LOG_DIR" "$DATA_DIR"
    local pid port
    if pid="$(live_pid "$PIDFILE" "$PATTERN")"; then
        port="$(cat "$PORTFILE")"
        if [[ -n "${PV_MONGO_PORT:-}" && "$PV_MONGO_PORT" != "$port" ]]; then
            die "already running on port $port but PV_MONGO_PORT=$PV_MONGO_PORT; run '$0 stop' first"
        fi
        say "already running (pid $pid, 127.0.0.1:$port); checking it answers"
        wait_ready "$pid" "${PV_MONGO_READY_TIMEOUT:-60}" "$LOGFILE" mongo "127.0.0.1:$port"
        return 0
    fi
    rm -f "$PIDFILE"
    build
    port="$(choose_port "${PV_MONGO_PORT:-}" "$PORTFILE")"
    say "starting on 127.0.0.1:$port, data ${DATA_DIR#$ROOT/}, log ${LOGFILE#$ROOT/}"
    pid="$(spawn_detached "$LOGFILE" "$BIN" -listen-addr "127.0.0.1:$port" -sqlite-dir "$DATA_DIR" \
        -log-level "${PV_FERRETDB_LOG_LEVEL:-info}")"
    echo "$pid" >"$PIDFILE"
    wait_ready "$pid" "${PV_MONGO_READY_TIMEOUT:-60}" "$LOGFILE" mongo "127.0.0.1:$port"
}

status() { status_of mongo "ping"; }

case "${1:-}" in
start) start ;;
stop) stop_server "$PIDFILE" "$PATTERN" ;;
status) status ;;
install) build ;;
*)
    echo "usage: $0 start|stop|status|install" >&2
    exit 2
    ;;
esac
