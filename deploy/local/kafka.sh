#!/usr/bin/env bash
# Local single-node Kafka (KRaft, broker+controller) run from Maven Central jars.
#   deploy/local/kafka.sh start|stop|status|install
# Env: PV_KAFKA_PORT (broker port; default: remembered or free), PV_KAFKA_CONTROLLER_PORT,
#      PV_KAFKA_READY_TIMEOUT (seconds, default 120), PV_KAFKA_HEAP (default -Xms256m -Xmx768m).
set -euo pipefail
SERVICE=kafka
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

POM="$LOCAL_DIR/kafka/pom.xml"
LIB_DIR="$CACHE_DIR/kafka/lib"
STATE_DIR="$RUN_DIR/kafka"
DATA_DIR="$STATE_DIR/data"
CONFIG="$STATE_DIR/server.properties"
PIDFILE="$RUN_DIR/kafka.pid"
PORTFILE="$RUN_DIR/kafka.port"
LOGFILE="$LOG_DIR/kafka.log"
PATTERN="kafka.Kafka"

require_java() {
    command -v java >/dev/null || die "java not found: install a JRE 17+ (apt-get install default-jre-headless)"
    local major
    major="$(java -version 2>&1 | sed -n 's/.* version "\([0-9]*\).*/\1/p' | head -1)"
    ((major >= 17)) || die "Kafka 4 needs Java 17+, found Java $major at $(command -v java)"
}

# Resolve kafka_2.13 and its runtime deps into .cache/kafka/lib, once per pom.xml content.
install_jars() {
    local stamp="$LIB_DIR/.installed-$(content_hash "$POM")"
    if [[ -f "$stamp" ]]; then
        say "jars up to date in ${LIB_DIR#$ROOT/} ($(ls "$LIB_DIR"/*.jar | wc -l) jars)"
        return 0
    fi
    command -v mvn >/dev/null || die "mvn not found: install Maven (apt-get install maven) to fetch the Kafka jars"
    say "resolving Kafka jars from Maven Central (first run: ~1 min, then ~/.m2 serves them)"
    local tmp="$CACHE_DIR/kafka/lib.tmp"
    rm -rf "$tmp"
    mkdir -p "$tmp"
    # Maven 3.8 prints colour resets even in batch mode; strip them from the log.
    mvn -q -B -f "$POM" dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$tmp" 2>&1 \
        | sed -u 's/\x1b\[[0-9;]*m//g' \
        || die "mvn could not resolve the Kafka jars (see the output above)"
    # Swap whole directories so a version change never leaves old jars on the classpath.
    rm -rf "$LIB_DIR"
    mv "$tmp" "$LIB_DIR"
    touch "$LIB_DIR/.installed-$(content_hash "$POM")"
    say "installed $(ls "$LIB_DIR"/*.jar | wc -l) jars, $(du -sh "$LIB_DIR" | cut -f1)"
}

write_config() {
    local broker_port="$1" controller_port="$2"
    sed -e "s|@BROKER_PORT@|$broker_port|g" \
        -e "s|@CONTROLLER_PORT@|$controller_port|g" \
        -e "s|@DATA_DIR@|$DATA_DIR|g" \
        "$LOCAL_DIR/kafka/server.properties.in" >"$CONFIG"
}

java_opts() {
    # shellcheck disable=SC2086  # PV_KAFKA_HEAP holds several options
    echo ${PV_KAFKA_HEAP:--Xms256m -Xmx768m} -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
        -Djava.awt.headless=true -Dlog4j2.configurationFile="$LOCAL_DIR/kafka/log4j2.properties"
}

start() {
    take_start_lock
    mkdir -p "$LOG_DIR" "$STATE_DIR"
    local pid port
    if pid="$(live_pid "$PIDFILE" "$PATTERN")"; then
        port="$(cat "$PORTFILE")"
        if [[ -n "${PV_KAFKA_PORT:-}" && "$PV_KAFKA_PORT" != "$port" ]]; then
            die "already running on port $port but PV_KAFKA_PORT=$PV_KAFKA_PORT; run '$0 stop' first"
        fi
        say "already running (pid $pid, 127.0.0.1:$port); checking it answers"
        wait_ready "$pid" "${PV_KAFKA_READY_TIMEOUT:-120}" "$LOGFILE" kafka "127.0.0.1:$port"
        return 0
    fi
    rm -f "$PIDFILE"
    require_java
    install_jars

    local controller_port
    port="$(choose_port "${PV_KAFKA_PORT:-}" "$PORTFILE")"
    controller_port="$(choose_port "${PV_KAFKA_CONTROLLER_PORT:-}" "$STATE_DIR/controller.port")"
    [[ "$port" != "$controller_port" ]] || controller_port="$(choose_port "" "$STATE_DIR/controller.port")"
    write_config "$port" "$controller_port"

    local classpath="$LIB_DIR/*"
    if [[ ! -f "$DATA_DIR/meta.properties" ]]; then
        say "formatting storage in ${DATA_DIR#$ROOT/}"
        rm -rf "$DATA_DIR"
        # shellcheck disable=SC2046
        java $(java_opts) -cp "$classpath" kafka.tools.StorageTool format \
            --cluster-id "$("$PYTHON" "$PROBE" cluster-id)" --config "$CONFIG" >>"$LOGFILE" 2>&1 \
            || { show_log_tail "$LOGFILE"; die "formatting the storage failed"; }
    fi

    say "starting on 127.0.0.1:$port (controller 127.0.0.1:$controller_port), log ${LOGFILE#$ROOT/}"
    # shellcheck disable=SC2046
    pid="$(spawn_detached "$LOGFILE" java $(java_opts) -cp "$classpath" kafka.Kafka "$CONFIG")"
    echo "$pid" >"$PIDFILE"
    wait_ready "$pid" "${PV_KAFKA_READY_TIMEOUT:-120}" "$LOGFILE" kafka "127.0.0.1:$port"
}

status() { status_of kafka "Metadata yet"; }

case "${1:-}" in
start) start ;;
stop) stop_server "$PIDFILE" "$PATTERN" ;;
status) status ;;
install) require_java && install_jars ;;
*)
    echo "usage: $0 start|stop|status|install" >&2
    exit 2
    ;;
esac
