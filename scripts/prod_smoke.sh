#!/usr/bin/env bash
# The production layout on this machine, then a smoke through it.
#
# DEBUG off, a real secret, collected static files, PostgreSQL (a database of its own), a Redis of
# its own, and the Procfile under honcho: gunicorn, a Celery worker and beat, started by deploy/run
# exactly as systemd would. Then the steps below, in order.
#
# To add a step: write a function `step_<name>` and add <name> to STEPS. A step fails by calling
# `fail "why"`; `http URL STATUS [curl args…]` fetches into $work/body.
#
# Settings: SMOKE_PORT_BASE (first of three free ports: web, worker metrics, Redis; default: the
# first free run from 8084), SMOKE_DB (default tidu_prodsmoke_<pid>, created and dropped here).
set -euo pipefail
cd "$(dirname "$0")/.."

STEPS=(health_names_what_is_missing nightly_through_the_worker report health_ok admin_login admin_css_served metrics
       json_logs_carry_run_and_chunk every_log_line_is_json)

PG="-h 127.0.0.1 -U postgres"
db=${SMOKE_DB:-tidu_prodsmoke_$$}
work=$(mktemp -d)
honcho_pid="" redis_pid=""

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
base=${SMOKE_PORT_BASE:-}
if [ -z "$base" ]; then
  for candidate in $(seq 8084 3 8200); do
    if port_free "$candidate" && port_free $((candidate + 1)) && port_free $((candidate + 2)); then
      base=$candidate
      break
    fi
  done
fi
web_port=$base worker_port=$((base + 1)) redis_port=$((base + 2))
for port in "$web_port" "$worker_port" "$redis_port"; do
  port_free "$port" || { echo "prod-smoke: port $port is in use (set SMOKE_PORT_BASE)" >&2; exit 1; }
done
web="http://127.0.0.1:$web_port"

cleanup() {
  if [ -n "$honcho_pid" ]; then
    kill -TERM -- "-$honcho_pid" 2>/dev/null || true
    for _ in $(seq 1 40); do kill -0 -- "-$honcho_pid" 2>/dev/null || break; sleep 0.5; done
    kill -KILL -- "-$honcho_pid" 2>/dev/null || true
  fi
  [ -n "$redis_pid" ] && kill "$redis_pid" 2>/dev/null || true
  dropdb $PG --if-exists "$db" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

fail() {
  echo "prod-smoke: FAILED: $*" >&2
  echo "---- last lines of the processes' output" >&2
  tail -n 40 "$work/honcho.log" >&2 || true
  exit 1
}

http() {  # http URL EXPECTED_STATUS [curl args…]: the body lands in $work/body
  local url=$1 expected=$2 status
  shift 2
  status=$(curl -s -o "$work/body" -w '%{http_code}' "$@" "$url") || true
  [ "$status" = "$expected" ] || fail "$url answered $status, expected $expected: $(head -c 600 "$work/body")"
}

json() {  # json PYTHON_EXPRESSION: evaluates it on the JSON in $work/body (as `body`) and prints it
  .venv/bin/python -c "import json, sys; body = json.load(open(sys.argv[1])); print($1)" "$work/body"
}

wait_for() {  # wait_for SECONDS DESCRIPTION COMMAND…: retry COMMAND once a second
  local seconds=$1 what=$2
  shift 2
  for _ in $(seq 1 "$seconds"); do
    "$@" >/dev/null 2>&1 && return 0
    sleep 1
  done
  fail "$what did not happen within $seconds s"
}

# ---- the layout -------------------------------------------------------------------------------
createdb $PG "$db"
redis-server --port "$redis_port" --bind 127.0.0.1 --save "" --appendonly no >"$work/redis.log" 2>&1 &
redis_pid=$!
cat >"$work/tidu.env" <<EOF
DEBUG=0
SECRET_KEY=$(openssl rand -hex 32)
ALLOWED_HOSTS=127.0.0.1,localhost
DATABASE_URL=postgres://postgres@127.0.0.1:5432/$db
CELERY_BROKER_URL=redis://127.0.0.1:$redis_port/0
TIDU_WEB_BIND=127.0.0.1:$web_port
TIDU_WORKER_METRICS_PORT=$worker_port
TIDU_METRICS_DIR=$work/metrics
TIDU_RECOMPUTE_CHUNK_SIZE=100
GUNICORN_WORKERS=2
CELERY_WORKER_CONCURRENCY=2
LOG_FORMAT=json
EOF
set -a
# shellcheck disable=SC1091
. "$work/tidu.env"
set +a
manage() { .venv/bin/python manage.py "$@"; }
manage migrate -v 0
manage bootstrap >/dev/null
manage collectstatic --noinput -v 0
manage generate_demo --enterprises 500 --seed 3 >/dev/null
password=$(openssl rand -hex 12)
DJANGO_SUPERUSER_PASSWORD=$password manage createsuperuser --noinput --username operator --email ops@example.cn
setsid .venv/bin/honcho -f Procfile -e "$work/tidu.env" start >"$work/honcho.log" 2>&1 &
honcho_pid=$!
wait_for 60 "gunicorn answering on $web_port" curl -fs -o /dev/null "$web/admin/login/"

# ---- the steps --------------------------------------------------------------------------------
health_shows() {  # health_shows CHECK…: every named check is ok
  curl -s -o "$work/body" "$web/health/" || return 1
  local name
  for name in "$@"; do
    [ "$(json "next(c['ok'] for c in body['checks'] if c['name'] == '$name')")" = True ] || return 1
  done
}

step_health_names_what_is_missing() {
  wait_for 60 "a worker and beat reporting in /health/" health_shows database broker workers beat
  http "$web/health/" 503
  [ "$(json "body['failing']")" = "['nightly', 'report']" ] ||
    fail "before any nightly run, /health/ should name only 'nightly' and 'report'"
}

step_nightly_through_the_worker() {
  .venv/bin/celery -A config call tracker.tasks.nightly_recompute_task >/dev/null
  nightly_done() {
    [ "$(psql $PG -d "$db" -tAc "SELECT status FROM tracker_evaluationrun WHERE kind = 'nightly'")" = succeeded ]
  }
  wait_for 120 "the nightly run succeeding through the worker" nightly_done
  local row
  row=$(psql $PG -d "$db" -tAc "SELECT chunks_done, chunks_total, changed > 0 FROM tracker_evaluationrun WHERE kind = 'nightly'")
  [ "$row" = "5|5|t" ] || fail "nightly run: chunks done|total|wrote results = $row, expected 5|5|t"
}

step_report() {  # the run's completion builds the province's and the 13 cities' reports in the worker
  reports_done() {
    [ "$(psql $PG -d "$db" -tAc "SELECT count(*) FROM tracker_tierreport WHERE nightly AND NOT stale")" = 14 ]
  }
  wait_for 180 "the 14 nightly tier reports" reports_done
}

step_health_ok() {
  http "$web/health/" 200
  [ "$(json "body['status']")" = ok ] || fail "health status is not ok"
}

step_admin_login() {
  local jar=$work/cookies token
  http "$web/admin/login/" 200 -c "$jar"
  grep -q '登录' "$work/body" || fail "the admin login page is not in Chinese"
  token=$(grep -o 'name="csrfmiddlewaretoken" value="[^"]*"' "$work/body" | sed 's/.*value="//; s/"$//')
  http "$web/admin/login/?next=/admin/" 302 -b "$jar" -c "$jar" -H "Referer: $web/admin/login/" \
    --data-urlencode "csrfmiddlewaretoken=$token" --data-urlencode "username=operator" \
    --data-urlencode "password=$password" --data-urlencode "next=/admin/"
  http "$web/admin/" 200 -b "$jar"
  grep -q 'logout-form' "$work/body" || fail "not logged in to the admin"
}

step_admin_css_served() {
  local css
  http "$web/admin/login/" 200
  css=$(grep -o '/static/admin/css/base\.[0-9a-f]*\.css' "$work/body" | head -n 1)
  [ -n "$css" ] || fail "the login page links no hashed admin stylesheet (collectstatic's manifest)"
  http "$web$css" 200 -D "$work/headers"
  grep -qi '^content-type: text/css' "$work/headers" || fail "$css is not served as text/css"
  grep -q 'font-family' "$work/body" || fail "$css has no CSS in it"
}

step_metrics() {
  http "$web/metrics" 200
  grep -q '^django_http_requests_latency_seconds_by_view_method_bucket{.*view="health"' "$work/body" ||
    fail "/metrics has no request latency for the health route"
  grep -q '^tidu_last_run_succeeded{kind="nightly"} 1.0' "$work/body" || fail "/metrics does not show the nightly run"
  grep -q '^tidu_queue_depth{queue="celery"}' "$work/body" || fail "/metrics has no queue depth"
  grep -q '^tidu_workers_alive 1.0' "$work/body" || fail "/metrics does not count the worker"
  http "http://127.0.0.1:$worker_port/metrics" 200
  grep -q '^tidu_chunks_total{kind="nightly",outcome="done"} 5.0' "$work/body" ||
    fail "the worker's metrics do not count the 5 chunks"
  grep -q '^tidu_results_written_total{kind="nightly"}' "$work/body" || fail "the worker's metrics have no results written"
}

step_json_logs_carry_run_and_chunk() {
  local line
  line=$(grep -o '{.*"chunk_id".*}' "$work/honcho.log" | grep '"logger": "tracker.pipeline.chunk"' | head -n 1)
  [ -n "$line" ] || fail "no JSON chunk line in the worker's log"
  echo "$line" >"$work/body"
  [ "$(json "sorted(k for k in ('run_id', 'chunk_id', 'time', 'level') if k in body)")" = \
    "['chunk_id', 'level', 'run_id', 'time']" ] || fail "a chunk's log line lacks run_id/chunk_id: $line"
}

step_every_log_line_is_json() {
  # honcho prefixes each line with "HH:MM:SS web.1 | "; what follows must be one JSON object.
  sed -n 's/^[0-9:]* *\(web\|worker\|beat\)\.1 *| //p' "$work/honcho.log" >"$work/lines"
  .venv/bin/python - "$work/lines" <<'PY' || fail "a process wrote a line that is not JSON"
import json, sys
lines = [line for line in open(sys.argv[1]) if line.strip()]
bad = []
for line in lines:
    try:
        json.loads(line)
    except ValueError:
        bad.append(line.rstrip())
print(f"prod-smoke: {len(lines)} log lines, {len(bad)} not JSON", file=sys.stderr)
for line in bad[:10]:
    print("  " + line[:200], file=sys.stderr)
sys.exit(1 if bad or not lines else 0)
PY
}

passed=0
for step in "${STEPS[@]}"; do
  "step_$step"
  echo "prod-smoke: $step ok"
  passed=$((passed + 1))
done
echo "prod-smoke: $passed passed, 0 failed"
