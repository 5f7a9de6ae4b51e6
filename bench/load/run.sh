#!/bin/sh
# `make load`: gunicorn with production settings on $DATABASE_URL (filled by `make synth`),
# then locust headless; figures in $LOAD_CSV_stats.csv and on stdout. Stops gunicorn after.
set -eu
: "${DATABASE_URL:?make load needs DATABASE_URL, a database filled by make synth}"
BIN=${BIN:-.venv/bin}
PORT=${LOAD_PORT:-8765}
USERS=${LOAD_USERS:-20}
TIME=${LOAD_TIME:-3m}
WORKERS=${LOAD_WORKERS:-$(( 2 * $(nproc) + 1 ))}
CSV=${LOAD_CSV:-/tmp/batea-load}
TARGETS=${LOAD_TARGETS:-/tmp/batea-load-targets.json}
# Production settings: DEBUG off, a secret, the one host; plain http on 127.0.0.1 needs
# cookies without the Secure flag.
export DEBUG=0 SECRET_KEY="${SECRET_KEY:-load-test-only}" ALLOWED_HOSTS=127.0.0.1
export SECURE_COOKIES=0 DJANGO_SETTINGS_MODULE=batea.settings

if curl -s -o /dev/null "http://127.0.0.1:$PORT/"; then
    echo "Something already answers on port $PORT; set LOAD_PORT to a free port." >&2
    exit 2
fi
"$BIN/batea" collectstatic --noinput -v0
"$BIN/python" bench/load/targets.py > "$TARGETS"
"$BIN/gunicorn" batea.wsgi --bind "127.0.0.1:$PORT" --workers "$WORKERS" \
    --access-logfile /dev/null --error-logfile "$CSV-gunicorn.log" &
SERVER=$!
trap 'kill "$SERVER" 2>/dev/null || true' EXIT INT TERM
for _ in $(seq 60); do
    curl -fs -o /dev/null "http://127.0.0.1:$PORT/accounts/login/" && break
    sleep 1
done
LOAD_TARGETS="$TARGETS" "$BIN/locust" -f bench/load/locustfile.py --headless \
    -u "$USERS" -r "${LOAD_SPAWN_RATE:-5}" -t "$TIME" -H "http://127.0.0.1:$PORT" \
    --csv "$CSV" --only-summary
