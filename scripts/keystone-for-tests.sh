#!/usr/bin/env bash
# A Keystone for the tests (test/keystone-auth.test.ts, test/tempest.test.ts) on 127.0.0.1:5000:
# installed and configured by the reference stack's script (../shared/reference/keystone.sh:
# MariaDB database, fernet tokens), served by uwsgi with `Connection: close` on every response
# (uwsgi's http-socket does not keep connections alive, and clients that reuse one get resets),
# and bootstrapped with admin/secret in project admin. Idempotent; safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."
KS=../shared/reference/keystone.sh
STATE=${STATE:-/var/tmp/refstack}
CONF_DIR=$STATE/keystone
export PATH="/usr/sbin:/usr/bin:/sbin:/bin:$PATH"

ks_ok() { curl -sf -m 5 -o /dev/null http://127.0.0.1:5000/v3; }
if ! ks_ok; then
  [[ -x $KS ]] || { echo "no $KS: Keystone cannot be set up" >&2; exit 1; }
  "$KS" install
  "$KS" configure
  mkdir -p "$STATE/run" "$STATE/log"
  OS_KEYSTONE_CONFIG_DIR="$CONF_DIR" setsid uwsgi --plugins python3 \
    --http-socket 127.0.0.1:5000 --wsgi-file /usr/bin/keystone-wsgi-public \
    --master --processes 1 --threads 8 --enable-threads --lazy-apps --die-on-term --no-orphans \
    --buffer-size 65535 --listen 100 --add-header 'Connection: close' \
    --env OS_KEYSTONE_CONFIG_DIR="$CONF_DIR" >"$STATE/log/keystone-uwsgi.log" 2>&1 </dev/null &
  echo $! >"$STATE/run/keystone.pid"
  for _ in $(seq 90); do ks_ok && break; sleep 1; done
  ks_ok || { tail -20 "$STATE/log/keystone-uwsgi.log" >&2; echo "Keystone did not start" >&2; exit 1; }
fi
for _ in 1 2 3; do
  keystone-manage --config-file "$CONF_DIR/keystone.conf" bootstrap --bootstrap-password secret \
    --bootstrap-username admin --bootstrap-project-name admin --bootstrap-role-name admin \
    --bootstrap-public-url http://127.0.0.1:5000/v3/ --bootstrap-internal-url http://127.0.0.1:5000/v3/ \
    --bootstrap-admin-url http://127.0.0.1:5000/v3/ --bootstrap-region-id RegionOne >/dev/null 2>&1 && break
  sleep 2
done
curl -sf -m 10 -o /dev/null -H 'Content-Type: application/json' http://127.0.0.1:5000/v3/auth/tokens -d \
  '{"auth":{"identity":{"methods":["password"],"password":{"user":{"name":"admin","domain":{"name":"Default"},"password":"secret"}}},"scope":{"project":{"name":"admin","domain":{"name":"Default"}}}}}' \
  || { echo "Keystone does not issue tokens to admin" >&2; exit 1; }
echo "Keystone ready on 127.0.0.1:5000"
