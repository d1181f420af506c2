#!/usr/bin/env bash
# schemathesis over every API operation, all checks, against a live server: PostgreSQL (a database of
# its own) with demo data, gunicorn with DEBUG off. Fails on any 5xx, any answer that does not match the
# schema (status, content type, headers, body), and the other checks of `--checks all`.
#
# Bounded: a fixed seed, few examples per operation (API_FUZZ_EXAMPLES, default 4), one worker, and a
# time budget for the whole run (API_FUZZ_SECONDS, default 300). Every operation is included: POST /api/v1/runs/ runs a recompute in-process
# (no broker here), which on 200 demo enterprises takes well under a second.
set -euo pipefail
cd "$(dirname "$0")/.."

PG="-h 127.0.0.1 -U postgres"
db=${API_FUZZ_DB:-tidu_apifuzz_$$}
examples=${API_FUZZ_EXAMPLES:-4}
seconds=${API_FUZZ_SECONDS:-300}
work=$(mktemp -d)
server_pid=""
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
port=""
for candidate in $(seq 8301 8399); do port_free "$candidate" && { port=$candidate; break; }; done
cleanup() {
  [ -n "$server_pid" ] && kill -TERM -- "-$server_pid" 2>/dev/null || true
  sleep 1
  dropdb $PG --if-exists "$db" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

export DEBUG=0 SECRET_KEY="fuzz-$(openssl rand -hex 24)" ALLOWED_HOSTS=127.0.0.1 \
  DATABASE_URL="postgres://postgres@127.0.0.1:5432/$db" LOG_LEVEL=ERROR \
  API_THROTTLE_ANON=100000/hour API_THROTTLE_USER=1000000/hour SESSION_COOKIE_SECURE=0 CSRF_COOKIE_SECURE=0
unset CELERY_BROKER_URL CACHE_URL
manage() { .venv/bin/python manage.py "$@"; }
createdb $PG "$db"
manage migrate -v 0
manage bootstrap >/dev/null
# No collectstatic: the API needs no static files (pages still render, unstyled: config/static.py).
manage generate_demo --enterprises 200 --seed 3 >/dev/null
manage recompute --sync >/dev/null
DJANGO_SUPERUSER_PASSWORD=$(openssl rand -hex 12) manage createsuperuser --noinput --username fuzz --email f@example.cn
token=$(manage api_token create fuzz --name schemathesis --days 1 | sed -n 's/^Token //p')

setsid .venv/bin/gunicorn config.wsgi --bind "127.0.0.1:$port" --workers 2 --timeout 120 >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 60); do curl -fs -o /dev/null "http://127.0.0.1:$port/api/docs/" && break; sleep 1; done

status=0
.venv/bin/schemathesis run "http://127.0.0.1:$port/api/schema/" \
  --checks all --header "Authorization: Token $token" \
  --phases examples,coverage,fuzzing --max-examples "$examples" --seed 20261202 --workers 1 --max-time "$seconds" \
  --request-timeout 60 --no-color --continue-on-failure --generation-database none \
  --suppress-health-check all || status=$?
if [ "$status" != 0 ]; then
  # The server's errors (a 500's traceback), else its last lines (WeasyPrint's glyph warnings can fill them).
  echo "api-fuzz: FAILED (schemathesis exit $status); the server said:" >&2
  grep -a -E '"level": "(ERROR|CRITICAL)"' "$work/server.log" | tail -n 20 >&2 || tail -n 30 "$work/server.log" >&2
fi
exit "$status"
