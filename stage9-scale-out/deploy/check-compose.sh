#!/usr/bin/env bash
# End-to-end check of compose.yaml on this machine (README.md beside this file, "What was checked"): podman +
# podman-compose, the stand-in images of .ci/images.sh (no registry is reachable here), the whole stack up, then from
# the host: GET /health on each node, /api/nodes lists the 3 nodes with their advertised addresses, a console on node 1
# reaches a console on node 3, the Redis master holding the recipient's mailbox is killed mid-conversation and sends
# resume once it is back (as a replica of the promoted one), podman-compose down. Exits non-zero on any failure; every
# wait is bounded. It uses the host ports compose.yaml publishes (2181-2183, 6381-6386, 7001-7003, 8001-8003) and stops
# at once if one is taken.
#
#   bash stage9-scale-out/deploy/check-compose.sh          # IM_COMPOSE_KEEP=1 leaves the stack and the work folder up
#                                                          # IM_COMPOSE_SKIP_BUILD=1 uses the jar already built (CI)
#
# podman-compose 1.0.3 (Debian 12) ignores depends_on conditions, so the services are brought up in the order Docker
# Compose v2 would (ZooKeeper and Redis, healthy; the cluster job, completed; the nodes), each step with podman-compose
# itself and each health check the compose file's own, run with `podman healthcheck run` (podman runs them on a timer
# only under systemd). It also passes no stop_grace_period and stops with `-t 1` by default, hence `down -t 30`.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
cd "$repo"
started=$(date +%s)
work=${IM_COMPOSE_DIR:-/tmp/im-compose-check}
project=imcheck
deploy=stage9-scale-out/deploy
jar=stage9-scale-out/target/stage9-scale-out.jar

say() { echo "== [$(( $(date +%s) - started )) s] $*"; }
fail() { echo "FAILED: $*" >&2; exit 1; }
# await SECONDS WHAT COMMAND...: runs COMMAND every second until it succeeds; fails after SECONDS.
await() {
  local limit=$1 what=$2 deadline=$(( $(date +%s) + $1 )); shift 2
  until "$@" >/dev/null 2>&1; do
    [ "$(date +%s)" -lt "$deadline" ] || fail "$what: not within $limit s"
    sleep 1
  done
}

for tool in podman podman-compose runc redis-server redis-cli curl java; do
  command -v "$tool" >/dev/null || fail "$tool is not installed (apt-get install podman podman-compose runc redis-server curl)"
done
for port in 2181 2182 2183 6381 6382 6383 6384 6385 6386 7001 7002 7003 8001 8002 8003; do
  ! ss -ltnH "sport = :$port" | grep -q . || fail "port $port is taken; compose.yaml publishes it"
done

rm -rf "$work"; mkdir -p "$work"
cat > "$work/containers.conf" <<'CONF'
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=20000:20000"]
[engine]
runtime = "runc"
CONF
export CONTAINERS_CONF="$work/containers.conf"
podman=(podman --root "$work/root" --runroot "$work/runroot")
compose=(podman-compose -p "$project" -f "$deploy/compose.yaml" --podman-args "--root $work/root --runroot $work/runroot")
container() { echo "${project}_$1_1"; }
export IM_AUTH_KEY; IM_AUTH_KEY=$(head -c 32 /dev/urandom | base64)   # never written to disk
export IM_PUBLIC_HOST=127.0.0.1

. .ci/port-forwards.sh
consoles=()
cleanup() {
  local status=$?
  for pid in "${consoles[@]}"; do kill "$pid" 2>/dev/null || true; done
  if [ -n "${IM_COMPOSE_KEEP:-}" ]; then
    echo "kept: ${podman[*]} ps -a; work folder $work" >&2
    exit "$status"
  fi
  if [ "$status" -ne 0 ]; then
    for f in "$work"/*.out; do [ -f "$f" ] && { echo "--- console $(basename "$f" .out)" >&2; cat "$f" >&2; }; done
    for c in $("${podman[@]}" ps -a --format '{{.Names}}' 2>/dev/null); do
      echo "--- last lines of $c" >&2; "${podman[@]}" logs --tail 15 "$c" >&2 2>&1 || true
    done
  fi
  "${compose[@]}" down -t 30 >/dev/null 2>&1 || true
  "${podman[@]}" system reset -f >/dev/null 2>&1 || true
  rm -rf "$work" 2>/dev/null || true
  remove_stale_port_forwards || true   # what podman left for the containers just removed (.ci/port-forwards.sh)
  exit "$status"
}
trap cleanup EXIT

say "the jar"
# IM_COMPOSE_SKIP_BUILD=1: the jar was just built (CI's ./mvnw verify); otherwise build it, so it is the code here.
[ "${IM_COMPOSE_SKIP_BUILD:-}" = 1 ] || ./mvnw -o -q -pl stage9-scale-out -am package -DskipTests
[ -f "$jar" ] || fail "$jar was not built"

# The stand-in images, plus what the official images have and compose.yaml's health checks and cluster job use: bash
# (/dev/tcp), grep, sleep, getent with NSS (service names), redis-cli, and /tmp writable by any user (the node runs as
# 10001, as the Dockerfile says).
. .ci/images.sh
image_extras() {
  local t
  copy_with_libs /bin/sh "$1"
  for t in /bin/bash /bin/grep /bin/sleep /bin/cat /usr/bin/getent; do
    copy_with_libs "$(readlink -f "$t")" "$1"
    [ -e "$1$t" ] || { mkdir -p "$1$(dirname "$t")"; ln -s "$(readlink -f "$t")" "$1$t"; }
  done
  mkdir -p "$1/usr/local/bin" "$1/etc" "$1/lib/x86_64-linux-gnu"
  copy_with_libs "$(command -v redis-cli)" "$1"
  cp -L "$(command -v redis-cli)" "$1/usr/local/bin/redis-cli"
  cp -Ln /lib/x86_64-linux-gnu/libnss_dns.so.2 /lib/x86_64-linux-gnu/libnss_files.so.2 "$1/lib/x86_64-linux-gnu/" 2>/dev/null || true
  echo 'hosts: files dns' > "$1/etc/nsswitch.conf"
  chmod 1777 "$1/tmp"
}
say "images"
build_images
say "the node image (compose build)"
"${compose[@]}" build im1 > "$work/build.log" 2>&1 || { cat "$work/build.log"; fail "podman-compose build"; }

healthy() { "${podman[@]}" healthcheck run "$(container "$1")"; }
say "up: ZooKeeper and Redis"
"${compose[@]}" up -d --no-deps zk1 zk2 zk3 redis1 redis2 redis3 redis4 redis5 redis6 > "$work/up1.log" 2>&1 \
  || { cat "$work/up1.log"; fail "podman-compose up (ZooKeeper, Redis)"; }
for s in zk1 zk2 zk3 redis1 redis2 redis3 redis4 redis5 redis6; do await 90 "$s healthy" healthy "$s"; done
say "up: the Redis Cluster job"
"${compose[@]}" up -d --no-deps redis-cluster-init > "$work/up2.log" 2>&1 \
  || { cat "$work/up2.log"; fail "podman-compose up redis-cluster-init"; }
job=$(container redis-cluster-init)
exited() { [ "$("${podman[@]}" inspect -f '{{.State.Status}}' "$job")" = exited ]; }
await 90 "redis-cluster-init finished" exited
[ "$("${podman[@]}" inspect -f '{{.State.ExitCode}}' "$job")" = 0 ] || { "${podman[@]}" logs "$job"; fail "redis-cluster-init"; }
"${podman[@]}" logs "$job" | grep -c '@1638[1-6],redis[1-6] .*connected' | grep -qx 6 || { "${podman[@]}" logs "$job"; fail "cluster: not 6 nodes"; }
say "up: the chat nodes"
"${compose[@]}" up -d --no-deps --no-build im1 im2 im3 > "$work/up3.log" 2>&1 \
  || { cat "$work/up3.log"; fail "podman-compose up im1 im2 im3"; }
for s in im1 im2 im3; do await 120 "$s healthy" healthy "$s"; done

say "from the host: /health and /api/nodes"
for port in 8001 8002 8003; do
  code=$(curl -s -o "$work/health" -w '%{http_code}' --max-time 5 "http://127.0.0.1:$port/health")
  [ "$code" = 200 ] || fail "GET :$port/health answered $code: $(cat "$work/health")"
  echo "  :$port/health 200 $(cat "$work/health")"
done
curl -sf --max-time 5 http://127.0.0.1:8001/api/nodes > "$work/nodes.json" || fail "GET :8001/api/nodes"
echo "  :8001/api/nodes $(cat "$work/nodes.json")"
python3 - "$work/nodes.json" <<'PY' || fail "/api/nodes does not list im1-3 at their advertised (published) addresses"
import json, sys
nodes = {n["nodeId"]: (n["host"], n["port"], n["httpHost"], n["httpPort"]) for n in json.load(open(sys.argv[1]))["nodes"]}
want = {f"im{i}": ("127.0.0.1", 7000 + i, "127.0.0.1", 8000 + i) for i in (1, 2, 3)}
sys.exit(0 if nodes == want else f"got {nodes}, want {want}")
PY

# A console per user, each reading from a FIFO and writing to a log.
token() { java -cp "$jar" com.example.im.auth.DevToken --uid "$1"; }
console() { # UID PORT
  mkfifo "$work/$1.in"
  java -cp "$jar" com.example.im.client.ChatConsole --zk none --port "$2" --token "$(token "$1")" \
    < "$work/$1.in" > "$work/$1.out" 2>&1 &
  consoles+=($!)
  exec {fd}> "$work/$1.in"
  eval "fd_$1=$fd"
  echo "LOGIN $1" >&"$fd"
}
type_in() { local fd; eval "fd=\$fd_$1"; echo "$2" >&"$fd"; }
shows() { grep -qF -- "$2" "$work/$1.out"; }
say "consoles: alice on node 1 (7001), bob on node 3 (7003)"
console alice 7001
console bob 7003
await 30 "alice connected to 127.0.0.1:7001" shows alice "connected to 127.0.0.1:7001 as alice"
await 30 "bob connected to 127.0.0.1:7003" shows bob "connected to 127.0.0.1:7003 as bob"
# "connected" comes before the node's login ack; a message sent before bob's login completes is stored for him
# ("to nobody (offline ...)"), so wait for both acks.
await 30 "alice logged in" shows alice "OK login alice"
await 30 "bob logged in" shows bob "OK login bob"
type_in alice "SEND bob hello-from-node-1"
await 20 "bob got alice's message" shows bob "MSG alice: hello-from-node-1"
await 30 "alice's send acknowledged as sent to bob, online" shows alice "to bob"
type_in bob "SEND alice hello-from-node-3"
await 20 "alice got bob's reply" shows alice "MSG bob: hello-from-node-3"

say "kill the Redis master of bob's mailbox slot"
slot=$("${podman[@]}" exec "$(container redis1)" redis-cli -p 6381 cluster keyslot '{bob}' | tr -d '\r')
master_of() { # SLOT REDIS-SERVICE-TO-ASK: the announced hostname of the master serving SLOT
  local n=${2#redis}
  "${podman[@]}" exec "$(container "$2")" redis-cli -p "638$n" cluster nodes | awk -v s="$1" '
    $3 ~ /master/ && $3 !~ /fail/ { for (i = 9; i <= NF; i++) { split($i, r, "-"); if (r[2] == "") r[2] = r[1];
      if (s + 0 >= r[1] + 0 && s + 0 <= r[2] + 0) { split($2, a, ","); print a[2] } } }'
}
victim=$(master_of "$slot" redis1)
[ -n "$victim" ] || fail "no master for slot $slot"
witness=redis1; [ "$victim" != redis1 ] || witness=redis2
echo "  slot $slot ({bob}) is served by $victim; $witness watches"
"${podman[@]}" kill "$(container "$victim")" >/dev/null
type_in alice "SEND bob during-the-failover"
promoted() { local m; m=$(master_of "$slot" "$witness"); [ -n "$m" ] && [ "$m" != "$victim" ]; }
await 60 "a replica of $victim promoted for slot $slot" promoted
echo "  promoted: $(master_of "$slot" "$witness") after $(( $(date +%s) - started )) s of the run"
state=$("${podman[@]}" inspect -f '{{.State.Status}}' "$(container "$victim")")
echo "  $victim after the failover: $state (started again by hand if exited)"
[ "$state" = running ] || "${podman[@]}" start "$(container "$victim")" >/dev/null 2>&1
rejoined() {
  local n=${victim#redis}
  "${podman[@]}" exec "$(container "$victim")" redis-cli -p "638$n" info replication | grep -q 'master_link_status:up'
}
await 60 "$victim back as a replica" rejoined
type_in alice "SEND bob after-the-failover"
await 60 "bob got the message sent after the failover" shows bob "MSG alice: after-the-failover"
acks() { [ "$(grep -c 'OK sent .* to bob' "$work/alice.out")" -ge 3 ]; }   # hello, during, after
await 60 "alice's three sends to bob acknowledged" acks
[ "$(grep -c 'MSG alice: ' "$work/bob.out")" = 3 ] || fail "bob did not get exactly alice's 3 messages"
if shows bob "MSG alice: during-the-failover"; then during="delivered"; else during="not delivered"; fi
echo "  the message sent while $victim was down: $during (the client resends on ERR unavailable); the consoles:"
grep -n "" "$work/alice.out" | tail -12 | sed 's/^/    alice| /'
grep -n "" "$work/bob.out" | tail -8 | sed 's/^/    bob| /'

say "down"
type_in alice QUIT; type_in bob QUIT
# The nodes first, by hand, to see that SIGTERM runs the graceful shutdown (the JVM exits 143 after it).
for s in im1 im2 im3; do
  "${podman[@]}" stop -t 30 "$(container "$s")" >/dev/null 2>&1
  "${podman[@]}" logs "$(container "$s")" 2>&1 | grep -q "shutdown $s complete" || fail "$s: no graceful shutdown on SIGTERM"
done
"${compose[@]}" down -t 30 > "$work/down.log" 2>&1 || { cat "$work/down.log"; fail "podman-compose down"; }
left=$("${podman[@]}" ps -a --format '{{.Names}}')
[ -z "$left" ] || fail "containers left after down: $left"
say "PASS (compose check in $(( $(date +%s) - started )) s)"
