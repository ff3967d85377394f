#!/usr/bin/env bash
# A throw-away PostgreSQL cluster for tests: `start DIR PORT` / `stop DIR`.
# Installs Debian's postgresql if missing (needs root), runs the server as an unprivileged
# user (postgres, or nobody-like `deskterm-ci` created on demand) on 127.0.0.1:PORT, and
# prints the DSN of a superuser role `deskterm` for DESKTERM_TEST_PG_DSN.
set -euo pipefail

pg_bindir() {
    local found
    found=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
    if [ -z "$found" ] && [ "$(id -u)" = 0 ]; then
        apt-get update -qq >&2
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql postgresql-contrib >&2
        found=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
    fi
    [ -n "$found" ] || { echo "postgres.sh: PostgreSQL is not installed" >&2; exit 1; }
    echo "$found"
}

run_as() {  # run_as USER CMD...: as USER when we are root, else as ourselves
    local user=$1; shift
    if [ "$(id -u)" = 0 ]; then
        runuser -u "$user" -- "$@"
    else
        "$@"
    fi
}

server_user() {
    if [ "$(id -u)" != 0 ]; then id -un; return; fi
    if ! id postgres >/dev/null 2>&1; then
        useradd --system --no-create-home --shell /usr/sbin/nologin postgres
    fi
    echo postgres
}

start() {
    local dir=$1 port=$2 bin user
    bin=$(pg_bindir)
    user=$(server_user)
    mkdir -p "$dir"
    chown "$user" "$dir" 2>/dev/null || true
    chmod 700 "$dir"
    run_as "$user" "$bin/initdb" -D "$dir/data" -U deskterm --auth=trust -E UTF8 \
        --lc-collate=C --lc-ctype=C.UTF-8 >"$dir/initdb.log" 2>&1 \
        || { cat "$dir/initdb.log" >&2; exit 1; }
    # A test cluster: durability off, fast template copies, room for parallel workers.
    run_as "$user" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -o \
        "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off \
         -c synchronous_commit=off -c full_page_writes=off -c max_connections=200 \
         -c shared_buffers=128MB" start >/dev/null \
        || { cat "$dir/server.log" >&2; exit 1; }
    echo "postgresql://deskterm@127.0.0.1:$port/postgres"
}

postmaster_of() {  # postmaster_of DATA: PIDs of the postgres started with `-D DATA` exactly
    local data=$1 cmdline pid
    for cmdline in /proc/[0-9]*/cmdline; do
        pid=${cmdline#/proc/}; pid=${pid%/cmdline}
        [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = postgres ] || continue
        # its arguments one a line: `-D` then DATA (backends rewrite theirs: never match)
        tr '\0' '\n' <"$cmdline" 2>/dev/null | grep -qxF -- "$data" && echo "$pid"
    done
    return 0
}

stop() {
    local dir=$1 bin user pid
    if [ -d "$dir/data" ]; then
        bin=$(pg_bindir)
        user=$(server_user)
        run_as "$user" "$bin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
    fi
    # A server whose folder was removed under it keeps running (pg_ctl cannot find it
    # without its postmaster.pid): SIGQUIT, an immediate shutdown, to that postmaster.
    for pid in $(postmaster_of "$dir/data"); do
        kill -QUIT "$pid" 2>/dev/null || true
    done
    rm -rf "$dir"
}

"$@"
