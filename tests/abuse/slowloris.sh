#!/bin/sh
# slowhttptest against examples/hello beside a wrk normal load: slowloris (-H), slow body (-B)
# and slow read (-X), ~30 s each. Prints the normal load's requests, errors and latency
# (p50/p99 from wrk) for each attack. Not a CI test (it takes ~2 minutes).
#
#   GANNET_BUILD_DIR=build/release tests/abuse/slowloris.sh [SECONDS] [CONNECTIONS]
set -eu
DUR=${1:-30}
CONNS=${2:-1000}
BUILD=${GANNET_BUILD_DIR:-$(dirname "$0")/../../build/release}
for tool in slowhttptest wrk; do
  command -v $tool >/dev/null || { echo "missing $tool (apt-get install slowhttptest wrk)"; exit 2; }
done
TMP=$(mktemp -d)
trap 'kill $SRV 2>/dev/null; rm -rf "$TMP"' EXIT
"$BUILD/hello" --port 0 --threads 2 --header-timeout 2000 --body-timeout 2000 \
  --write-timeout 2000 --max-body 16777216 >"$TMP/out" 2>"$TMP/err" &
SRV=$!
sleep 0.5
PORT=$(sed -n 's/.*127.0.0.1:\([0-9]*\).*/\1/p' "$TMP/out")
URL=http://127.0.0.1:$PORT
echo "hello (pid $SRV) on $URL: --threads 2 --header/body/write-timeout 2000; $CONNS attack connections, ${DUR}s each"

run() {  # name, slowhttptest flags...
  name=$1; shift
  slowhttptest -c "$CONNS" -r 200 -l "$DUR" -g -o "$TMP/$name" "$@" >"$TMP/$name.log" 2>&1 &
  ATK=$!
  sleep 3
  wrk -t1 -c10 -d$((DUR - 5))s --latency "$URL/" >"$TMP/$name.wrk" 2>&1 || true
  wait $ATK || true
  reqs=$(sed -n 's/^ *\([0-9]*\) requests in.*/\1/p' "$TMP/$name.wrk")
  errs=$(grep -E "Socket errors|Non-2xx" "$TMP/$name.wrk" | tr -s ' ' | tr '\n' ';')
  p50=$(awk '$1=="50%"{print $2}' "$TMP/$name.wrk")
  p99=$(awk '$1=="99%"{print $2}' "$TMP/$name.wrk")
  rss=$(awk '/VmRSS/{print $2 " " $3}' /proc/$SRV/status)
  tail=$(grep -E "^ *(closed|pending|connected|error|service available)" "$TMP/$name.log" | tail -5 | tr -s ' ' | tr '\n' ';')
  echo "$name: wrk $reqs requests, errors: ${errs:-none}, p50 $p50, p99 $p99; server VmRSS $rss; slowhttptest last sample: $tail"
}

run slowloris -H -i 1 -s 8192 -t GET -u "$URL/"
run slowbody -B -i 1 -s 8192 -t POST -u "$URL/echo"
run slowread -X -k 3 -n 1 -w 1 -y 2 -z 32 -t GET -u "$URL/json"
kill -0 $SRV && echo "server alive after the attacks"
