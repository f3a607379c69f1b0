#!/usr/bin/env bash
# A throwaway PostgreSQL for the tests, on 127.0.0.1 with trust authentication.
#
#   scripts/postgres.sh [start]   start (or reuse) the server; prints its Npgsql connection string on stdout
#   scripts/postgres.sh stop      stop it (the data directory is kept for the next start)
#   scripts/postgres.sh status    print the connection string if it is running, else exit 1
#
# Installs the Debian package `postgresql` when initdb/pg_ctl are missing (needs root). Status lines go to
# stderr; stdout carries only the connection string. Environment: GENSYN_PG_DIR (default
# /tmp/gensyn-postgres-<checksum of the repository path>), GENSYN_PG_PORT (default: the previous run's port if free, else a free one).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# One server per checkout, so two checkouts' test runs never stop each other's server.
DIR="${GENSYN_PG_DIR:-/tmp/gensyn-postgres-$(printf '%s' "$ROOT" | cksum | cut -d' ' -f1)}"
DATA="$DIR/data"
PORT_FILE="$DIR/port"
LOG="$DIR/server.log"
PG_USER=postgres

say() { echo "postgres.sh: $*" >&2; }
die() { say "error: $*"; exit 1; }

find_bin() {
    local name="$1" candidate
    for candidate in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
        [[ -x "$candidate/$name" ]] && { echo "$candidate/$name"; return 0; }
    done
    command -v "$name" 2>/dev/null && return 0
    return 1
}

resolve_bins() {
    INITDB="$(find_bin initdb || true)"
    PG_CTL="$(find_bin pg_ctl || true)"
    [[ -n "$INITDB" && -n "$PG_CTL" ]]
}

install_postgres() {
    [[ "$(id -u)" == 0 ]] || die "initdb/pg_ctl not found and not running as root to install them; install the 'postgresql' package"
    command -v apt-get >/dev/null 2>&1 || die "initdb/pg_ctl not found and apt-get is unavailable; install PostgreSQL"
    say "initdb/pg_ctl not found; installing the postgresql package (apt-get)"
    export DEBIAN_FRONTEND=noninteractive
    if ! apt-get install -y -q postgresql >&2; then
        apt-get update -q >&2 || die "apt-get update failed"
        apt-get install -y -q postgresql >&2 || die "apt-get install postgresql failed"
    fi
    # The package's own cluster is not needed; stop it so it holds no port or memory (harmless if absent).
    if command -v pg_ctlcluster >/dev/null 2>&1; then
        for conf in /etc/postgresql/*/main; do
            [[ -d "$conf" ]] && pg_ctlcluster "$(basename "$(dirname "$conf")")" main stop >/dev/null 2>&1 || true
        done
    fi
    resolve_bins || die "installed postgresql but initdb/pg_ctl are still missing"
}

# Runs a command as the postgres user (plain if we already are that user).
as_pg() {
    local cmd="$1"
    if [[ "$(id -un)" == "$PG_USER" ]]; then
        bash -c "$cmd"
    elif [[ "$(id -u)" == 0 ]]; then
        if command -v runuser >/dev/null 2>&1; then runuser -u "$PG_USER" -- bash -c "$cmd"
        else su "$PG_USER" -s /bin/bash -c "$cmd"
        fi
    else
        die "must run as root or as $PG_USER (initdb refuses to run as root)"
    fi
}

q() { printf '%q' "$1"; }

conn_string() { echo "Host=127.0.0.1;Port=$1;Username=postgres;Database=postgres"; }

port_free() {
    ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

free_port() {
    local port
    if command -v python3 >/dev/null 2>&1; then
        python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
        return
    fi
    for _ in $(seq 1 200); do
        port=$((20000 + RANDOM % 30000))
        port_free "$port" && { echo "$port"; return; }
    done
    die "no free port found"
}

running() {
    [[ -n "${PG_CTL:-}" && -f "$DATA/PG_VERSION" ]] && as_pg "$(q "$PG_CTL") -D $(q "$DATA") status" >/dev/null 2>&1
}

# The port the running server listens on (from postmaster.pid, line 4), else the one we recorded.
running_port() {
    if [[ -f "$DATA/postmaster.pid" ]]; then sed -n 4p "$DATA/postmaster.pid"
    elif [[ -f "$PORT_FILE" ]]; then cat "$PORT_FILE"
    fi
}

wait_ready() {
    local port="$1" isready
    isready="$(find_bin pg_isready || true)"
    for _ in $(seq 1 100); do
        if [[ -n "$isready" ]]; then
            "$isready" -q -h 127.0.0.1 -p "$port" -U postgres -d postgres && return 0
        else
            port_free "$port" || return 0
        fi
        sleep 0.1
    done
    return 1
}

start() {
    resolve_bins || install_postgres
    getent passwd "$PG_USER" >/dev/null || die "user $PG_USER does not exist (the postgresql package creates it)"

    mkdir -p "$DIR"
    chown "$PG_USER": "$DIR"
    chmod 700 "$DIR"

    if running; then
        local port
        port="$(running_port)"
        if [[ -n "$port" ]] && wait_ready "$port"; then
            say "reusing the server in $DATA on port $port"
            conn_string "$port"
            return 0
        fi
        say "a server in $DATA is running but not answering; restarting it"
        as_pg "$(q "$PG_CTL") -D $(q "$DATA") -m immediate -w stop" >&2 || true
    fi

    if [[ ! -f "$DATA/PG_VERSION" ]]; then
        rm -rf "$DATA"
        say "initdb $DATA ($INITDB)"
        as_pg "$(q "$INITDB") -D $(q "$DATA") -U postgres --auth=trust --encoding=UTF8 --no-sync" >"$DIR/initdb.log" 2>&1 \
            || { cat "$DIR/initdb.log" >&2; die "initdb failed"; }
    fi
    rm -f "$DATA/postmaster.pid" 2>/dev/null || true  # a stale one from a killed server (pg_ctl said it is not running)

    local port="${GENSYN_PG_PORT:-}"
    if [[ -z "$port" && -f "$PORT_FILE" ]] && port_free "$(cat "$PORT_FILE")"; then port="$(cat "$PORT_FILE")"; fi
    [[ -n "$port" ]] || port="$(free_port)"

    say "starting PostgreSQL on 127.0.0.1:$port (data $DATA, log $LOG)"
    if ! as_pg "$(q "$PG_CTL") -D $(q "$DATA") -l $(q "$LOG") -o $(q "-p $port -k $DIR -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200") -w -t 60 start" >&2; then
        tail -n 30 "$LOG" >&2 2>/dev/null || true
        die "pg_ctl start failed"
    fi
    echo "$port" >"$PORT_FILE"
    wait_ready "$port" || { tail -n 30 "$LOG" >&2 2>/dev/null || true; die "server started but does not accept connections on port $port"; }
    say "ready"
    conn_string "$port"
}

stop() {
    resolve_bins || { say "PostgreSQL is not installed; nothing to stop"; return 0; }
    if running; then
        say "stopping the server in $DATA"
        as_pg "$(q "$PG_CTL") -D $(q "$DATA") -m fast -w stop" >&2
    else
        say "no server running in $DATA"
    fi
}

case "${1:-start}" in
    start) start ;;
    stop) stop ;;
    status)
        resolve_bins || exit 1
        running || { say "not running"; exit 1; }
        conn_string "$(running_port)"
        ;;
    *) echo "usage: $0 [start|stop|status]" >&2; exit 2 ;;
esac
