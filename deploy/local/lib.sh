# Shared helpers for deploy/local/*.sh; sourced, never run.
# Layout: binaries and jars in .cache/ (kept across runs), state in .run/ (data, logs, pids, ports).

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
LOCAL_DIR="$ROOT/deploy/local"
CACHE_DIR="$ROOT/.cache"
RUN_DIR="$ROOT/.run"
LOG_DIR="$RUN_DIR/logs"
PROBE="$LOCAL_DIR/probe.py"
PYTHON="${PYTHON:-python3}"

say() { printf '[%s] %s\n' "$SERVICE" "$*"; }
die() { printf '[%s] ERROR: %s\n' "$SERVICE" "$*" >&2; exit 1; }

# sha256 of the given files' contents, to tell whether a cached build is still current.
content_hash() { cat "$@" | sha256sum | cut -c1-16; }

# Print the pid in $1 when that process is alive and its command line contains $2.
live_pid() {
    local pidfile="$1" pattern="$2" pid
    [[ -f "$pidfile" ]] || return 1
    pid="$(cat "$pidfile" 2>/dev/null)"
    [[ "$pid" =~ ^[0-9]+$ ]] || return 1
    kill -0 "$pid" 2>/dev/null || return 1
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -- "$pattern" || return 1
    echo "$pid"
}

# Choose the port: $1 (an env override) if set, else the one remembered in $2 if still free,
# else a fresh free one. The choice is remembered in $2 so restarts keep their address.
choose_port() {
    local override="$1" memo="$2" port
    if [[ -n "$override" ]]; then
        "$PYTHON" "$PROBE" port-free "$override" \
            || die "port $override (from the environment) is already in use on 127.0.0.1; free it or pick another"
        port="$override"
    elif [[ -f "$memo" ]] && port="$(cat "$memo")" && [[ "$port" =~ ^[0-9]+$ ]] \
        && "$PYTHON" "$PROBE" port-free "$port"; then
        :
    else
        port="$("$PYTHON" "$PROBE" free-port)"
    fi
    echo "$port" >"$memo"
    echo "$port"
}

show_log_tail() {
    local logfile="$1"
    echo "----- last 40 lines of $logfile -----" >&2
    tail -n 40 "$logfile" >&2 2>/dev/null || echo "(no log yet)" >&2
    echo "-----" >&2
}

# wait_ready PID TIMEOUT_S LOGFILE PROBE_ARGS... : poll the probe until it passes.
wait_ready() {
    local pid="$1" timeout="$2" logfile="$3"
    shift 3
    local start=$SECONDS
    while true; do
        if "$PYTHON" "$PROBE" "$@"; then
            say "ready after $((SECONDS - start))s"
            return 0
        fi
        if ! kill -0 "$pid" 2>/dev/null; then
            show_log_tail "$logfile"
            die "the server (pid $pid) exited during startup; see $logfile"
        fi
        if ((SECONDS - start >= timeout)); then
            show_log_tail "$logfile"
            die "not ready after ${timeout}s (probe: $*); the server is left running as pid $pid for inspection — stop it with: $0 stop"
        fi
        sleep 0.5
    done
}

# stop_server PIDFILE PATTERN: SIGTERM, wait up to 20 s, then SIGKILL. Idempotent.
stop_server() {
    local pidfile="$1" pattern="$2" pid i
    if ! pid="$(live_pid "$pidfile" "$pattern")"; then
        rm -f "$pidfile"
        say "not running"
        return 0
    fi
    say "stopping pid $pid"
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 40; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.5
    done
    if kill -0 "$pid" 2>/dev/null; then
        say "still alive after 20s, sending SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
        for ((i = 0; i < 10; i++)); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.2
        done
    fi
    rm -f "$pidfile"
    say "stopped"
}

# Start "$@" detached (own session, survives the calling shell) with output appended to $1.
# Prints the pid of the started program.
spawn_detached() {
    local logfile="$1"
    shift
    # Keep one previous log once it passes 20 MB, so a long-lived checkout does not fill the disk.
    if [[ -f "$logfile" ]] && (($(stat -c %s "$logfile") > 20000000)); then
        mv -f "$logfile" "$logfile.1"
    fi
    printf '\n===== %s starting: %s =====\n' "$(date -Is)" "$*" >>"$logfile"
    # fd 9 is the start lock (take_start_lock); the server must not inherit and hold it.
    setsid "$@" >>"$logfile" 2>&1 </dev/null 9>&- &
    echo $!
}

# Serialise concurrent `start`s of one server (e.g. parallel test workers each running up.sh).
take_start_lock() {
    mkdir -p "$RUN_DIR"
    exec 9>"$RUN_DIR/$SERVICE.lock"
    flock -w 900 9 || die "another '$SERVICE start' has held $RUN_DIR/$SERVICE.lock for 15 minutes"
}

# status PROBE_KIND WHAT: exit 0 when the server answers the probe, 1 when its process is alive but does
# not answer (WHAT says which request), 3 when stopped. Uses the caller's PIDFILE, PATTERN and PORTFILE.
status_of() {
    local kind="$1" what="$2" pid port
    if pid="$(live_pid "$PIDFILE" "$PATTERN")"; then
        port="$(cat "$PORTFILE")"
        if "$PYTHON" "$PROBE" "$kind" "127.0.0.1:$port"; then
            say "running (pid $pid) at 127.0.0.1:$port"
        else
            say "process alive (pid $pid) but 127.0.0.1:$port does not answer $what"
            return 1
        fi
    else
        say "stopped"
        return 3
    fi
}
