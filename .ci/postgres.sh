# shellcheck shell=bash
# A throw-away PostgreSQL server for the database tests; sourced by .ci/run (or by hand):
#
#   . .ci/postgres.sh
#   pg_start /tmp/pg-io 54329    # initdb + start on 127.0.0.1:54329, exports
#                                # SIMULACRA_TEST_POSTGRES_URL
#   pg_stop /tmp/pg-io           # stop the server and delete its folder
#
# Installs the server with apt-get when no initdb/pg_ctl is found (Debian, as root).
# PostgreSQL refuses to run as root: as root the server runs as the 'postgres' user.

pg_bin_dir() {
    local dir
    for dir in /usr/lib/postgresql/*/bin /usr/local/bin /usr/bin; do
        if [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ]; then
            echo "$dir"
            return 0
        fi
    done
    return 1
}

pg_as_owner() {
    if [ "$(id -u)" = 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

pg_start() {
    local dir="$1" port="$2" bin
    if ! bin="$(pg_bin_dir)"; then
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
        bin="$(pg_bin_dir)"
    fi
    if [ "$(id -u)" = 0 ] && ! id postgres >/dev/null 2>&1; then
        useradd --system --home-dir "$dir" postgres
    fi
    rm -rf "$dir"
    mkdir -p "$dir"
    if [ "$(id -u)" = 0 ]; then
        chown postgres "$dir"
    fi
    pg_as_owner "$bin/initdb" --pgdata="$dir/data" --username=simulacra --auth=trust \
        --encoding=UTF8 --locale=C.UTF-8 >"$dir/initdb.log"
    pg_as_owner "$bin/pg_ctl" --pgdata="$dir/data" --log="$dir/server.log" --wait \
        --options="-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories='$dir'" \
        start >/dev/null
    pg_as_owner "$bin/createdb" --host=127.0.0.1 --port="$port" --username=simulacra simulacra_test
    export SIMULACRA_TEST_POSTGRES_URL="postgresql+psycopg://simulacra@127.0.0.1:$port/simulacra_test"
}

pg_stop() {
    local dir="$1" bin
    bin="$(pg_bin_dir)" || return 0
    if [ -f "$dir/data/postmaster.pid" ]; then
        pg_as_owner "$bin/pg_ctl" --pgdata="$dir/data" --mode=fast --wait stop >/dev/null || true
    fi
    rm -rf "$dir"
}

pg_free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
