#!/usr/bin/env bash
# The quickstart on the embedded default (SQLite, tasks in-process): migrate, reference data,
# 500 demo enterprises, a recompute, then the admin login page and the API must answer.
set -euo pipefail
cd "$(dirname "$0")/.."

workdir=$(mktemp -d)
export DEBUG=1 DATABASE_URL="sqlite:///$workdir/smoke.sqlite3"
unset CELERY_BROKER_URL
log="$workdir/demo.log"
.venv/bin/python manage.py demo --enterprises 500 | tee "$log"
token=$(grep -o 'Token [0-9a-f]*' "$log" | head -n 1 | awk '{print $2}')
city_token=$(grep -o 'Token [0-9a-f]*' "$log" | sed -n 2p | awk '{print $2}')

.venv/bin/python manage.py runserver 127.0.0.1:8765 --noreload >"$workdir/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true; rm -rf "$workdir"' EXIT
for _ in $(seq 1 30); do
  curl -fs -o /dev/null http://127.0.0.1:8765/admin/login/ && break
  sleep 1
done

check() {  # check URL EXPECTED_STATUS [curl args…]
  local url=$1 expected=$2; shift 2
  local status
  status=$(curl -s -o "$workdir/body" -w '%{http_code}' "$@" "$url")
  if [ "$status" != "$expected" ]; then
    echo "smoke: $url answered $status, expected $expected" >&2
    head -c 2000 "$workdir/body" >&2
    exit 1
  fi
  echo "smoke: $url → $status"
}
check http://127.0.0.1:8765/admin/login/ 200
grep -q '登录' "$workdir/body" || { echo "smoke: admin login page is not in Chinese" >&2; exit 1; }
check http://127.0.0.1:8765/api/v1/enterprises/ 200 -H "Authorization: Token $token"
grep -q '"count":500' "$workdir/body" || { echo "smoke: API did not list the 500 demo enterprises" >&2; exit 1; }
check http://127.0.0.1:8765/api/v1/enterprises/ 200 -H "Authorization: Token $city_token"
city_count=$(grep -o '"count":[0-9]*' "$workdir/body" | head -n 1 | cut -d: -f2)
if [ -z "$city_count" ] || [ "$city_count" -le 0 ] || [ "$city_count" -ge 500 ]; then
  echo "smoke: the 南京 account should see some but not all of the 500 enterprises (saw ${city_count:-none})" >&2
  exit 1
fi
check http://127.0.0.1:8765/api/v1/results/?status=eligible 200 -H "Authorization: Token $token"
check http://127.0.0.1:8765/api/v1/enterprises/ 401
check http://127.0.0.1:8765/api/docs/ 200
echo "smoke: 7 passed, 0 failed"
