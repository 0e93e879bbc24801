#!/usr/bin/env bash
# compare-with-peer.sh: schedule-service against the peer (Google's official Node.js Pub/Sub client doing
# StreamingPull -> HTTP POST with Basic auth -> ack, from the peer harness folder), side by side.
# A benchmark, not a test: it is not registered with ctest.
#
# Each run: a fresh Pub/Sub emulator (free port), N 200-byte messages pre-published with the peer's
# publisher.js, then one subscriber process consumes them all, POSTing each to ONE nginx (auth_basic,
# started once for all runs) and acking on 2xx. The peer and schedule-service alternate run by run (the
# first of each pair alternates too), so both see the same machine load on average.
# Per run: msg/s = N / (subscriber exec -> exit), CPU µs per message = (user+sys of the subscriber process,
# /usr/bin/time) / N, peak RSS = its max RSS. The peer exits by itself once all N are acked and its acks
# flushed; schedule-service is sent SIGTERM once its log shows N deliveries, and its graceful shutdown
# (acks flushed) counts in its wall and CPU. After every run the subscription must be empty.
# With --ingest=push schedule-service takes the same backlog as a push endpoint instead (`ingest: push`,
# `push.auth: none`): once it is ready the subscription's push endpoint is set to it, and the emulator POSTs
# the messages; the peer still pulls.
# Finally: idle CPU of schedule-service (fresh emulator, empty subscription, CPU seconds over
# --idle-seconds after it is ready).
# Everything listens on 127.0.0.1; only the processes this script started are ever signalled.
set -euo pipefail

usage() {
  cat <<'EOF'
usage: bench/compare-with-peer.sh [options]
  --peer-dir=DIR          the peer harness (read-only; copied to a scratch dir, then npm ci)
                          default: ../shared/peer from the repository root
  --service-binary=PATH   schedule-service to measure; default build/src/service/schedule-service
  --baseline-binary=PATH  also measure this other schedule-service build ("baseline" lines and medians),
                          in the same alternation: a before/after under the same load
  --runs=R                runs of each subscriber, alternating (default 2, at least 2)
  --messages=N            messages pre-published per run (default 20000)
  --streams=S             StreamingPull streams of both subscribers (default 5, the peer client's default)
  --outstanding=M         flow control max outstanding messages of both (default 1000)
  --max-concurrency=C     schedule-service's backend max_concurrency (default 256 = the peer's
                          keep-alive agent socket cap, HTTP_MAX_SOCKETS)
  --ingest=pull|push      how schedule-service takes the messages (default pull; push: the emulator
                          pushes the backlog to the service's push endpoint; the peer always pulls)
  --log-level=L           schedule-service's log_level (default info: one JSON line per delivery)
  --idle-seconds=T        idle CPU window (default 10; 0 skips the idle measurement)
  --perf=FILE             after the measured runs, one more schedule-service run under
                          `perf record -g -o FILE` (not counted in the medians)
  --env=NAME=VALUE        extra environment for schedule-service (e.g. LD_PRELOAD=...); repeatable
  --keep                  keep the scratch directory (logs, configs) and print its path
  --help                  this text
Needs: node + npm (the peer), java (the emulator, from gcloud), nginx, htpasswd, curl, /usr/bin/time.
Output: one summary line per run ("peer: ..." / "schedsvc: ..."), then the medians and the ratios.
EOF
}

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PEER_DIR="$REPO/../shared/peer"
SERVICE_BIN="$REPO/build/src/service/schedule-service"
BASELINE_BIN=""
RUNS=2
N=20000
STREAMS=5
OUTSTANDING=1000
MAX_CONCURRENCY=256
LOG_LEVEL=info
INGEST=pull
IDLE_SECONDS=10
PERF_FILE=""
KEEP=""
SERVICE_ENV=()
for arg in "$@"; do
  case "$arg" in
    --peer-dir=*) PEER_DIR="${arg#*=}" ;;
    --service-binary=*) SERVICE_BIN="${arg#*=}" ;;
    --baseline-binary=*) BASELINE_BIN="${arg#*=}" ;;
    --runs=*) RUNS="${arg#*=}" ;;
    --messages=*) N="${arg#*=}" ;;
    --streams=*) STREAMS="${arg#*=}" ;;
    --outstanding=*) OUTSTANDING="${arg#*=}" ;;
    --max-concurrency=*) MAX_CONCURRENCY="${arg#*=}" ;;
    --log-level=*) LOG_LEVEL="${arg#*=}" ;;
    --ingest=*) INGEST="${arg#*=}" ;;
    --idle-seconds=*) IDLE_SECONDS="${arg#*=}" ;;
    --perf=*) PERF_FILE="${arg#*=}" ;;
    --env=*) SERVICE_ENV+=("${arg#*=}") ;;
    --keep) KEEP=1 ;;
    --help|-h) usage; exit 0 ;;
    *) echo "unknown option: $arg" >&2; usage >&2; exit 2 ;;
  esac
done
for v in RUNS N STREAMS OUTSTANDING MAX_CONCURRENCY IDLE_SECONDS; do
  [[ "${!v}" =~ ^[0-9]+$ ]] || { echo "--${v,,} must be a whole number (got '${!v}')" >&2; exit 2; }
done
[ "$RUNS" -ge 2 ] || { echo "--runs must be at least 2 (medians of alternating runs)" >&2; exit 2; }
if [ "$N" -lt 1 ] || [ "$STREAMS" -lt 1 ] || [ "$OUTSTANDING" -lt 1 ]; then
  echo "--messages, --streams, --outstanding must be >= 1" >&2; exit 2
fi
case "$LOG_LEVEL" in debug|info|warning|error) ;; *) echo "--log-level must be debug, info, warning or error" >&2; exit 2;; esac
case "$INGEST" in pull|push) ;; *) echo "--ingest must be pull or push" >&2; exit 2;; esac
[ -f "$PEER_DIR/peer-subscriber.js" ] || { echo "no peer harness at $PEER_DIR (peer-subscriber.js missing)" >&2; exit 2; }
[ -x "$SERVICE_BIN" ] || { echo "schedule-service binary not found or not executable: $SERVICE_BIN" >&2; exit 2; }
[ -z "$BASELINE_BIN" ] || [ -x "$BASELINE_BIN" ] || { echo "baseline binary not found or not executable: $BASELINE_BIN" >&2; exit 2; }
EMULATOR="${EMULATOR:-$(gcloud info --format='value(installation.sdk_root)' 2>/dev/null)/platform/pubsub-emulator/bin/cloud-pubsub-emulator}"
[ -x "$EMULATOR" ] || { echo "Pub/Sub emulator not found at $EMULATOR (set EMULATOR=...)" >&2; exit 2; }
for tool in node npm nginx htpasswd curl java /usr/bin/time; do
  command -v "$tool" >/dev/null || { echo "missing tool: $tool" >&2; exit 2; }
done
[ -z "$PERF_FILE" ] || command -v perf >/dev/null || { echo "--perf needs perf" >&2; exit 2; }

PROJECT="peer-bench"
TOPIC="peer-topic"
SUBSCRIPTION="peer-sub"
BACKEND_USER="schedsvc"
BACKEND_PASSWORD="bench-$(date +%s)-$$"
CLK_TCK="$(getconf CLK_TCK)"
SUB_TIMEOUT_S=300
export METADATA_SERVER_DETECTION=none  # no GCE metadata server here; the peer's client would probe for one

WORK="$(mktemp -d "${TMPDIR:-/tmp}/compare-with-peer.XXXXXX")"
chmod 755 "$WORK"  # nginx workers (user nobody when run as root) read the htpasswd below it
EMU_PID=""; NGINX_PID=""; SVC_PID=""; SVC_CHILD=""
stop_pid() { # stop_pid PID : TERM, wait up to 5 s, then KILL
  local pid="$1"; [ -n "$pid" ] || return 0
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid" 2>/dev/null || true; fi
  wait "$pid" 2>/dev/null || true
}
cleanup() {
  stop_pid "$SVC_CHILD"; stop_pid "$SVC_PID"; stop_pid "$EMU_PID"; stop_pid "$NGINX_PID"
  if [ -n "$KEEP" ]; then echo "kept: $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The peer, copied (its folder may be read-only), dependencies from package-lock.json.
cp -r "$PEER_DIR" "$WORK/peer"
chmod -R u+w "$WORK/peer"
PEER="$WORK/peer"
(cd "$PEER" && rm -rf runs node_modules && npm ci --no-audit --no-fund >"$WORK/npm-ci.log" 2>&1) \
  || { echo "npm ci failed:" >&2; tail -20 "$WORK/npm-ci.log" >&2; exit 1; }

free_port() { node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"; }
now() { date +%s.%N; }
cpu_ticks() { awk '{print $14+$15}' "/proc/$1/stat"; }  # utime+stime of a process, all threads
load1() { cut -d' ' -f1 /proc/loadavg; }

# ---- one nginx for all runs: the peer's nginx.conf.tmpl, auth_basic with an {SHA} htpasswd ----
start_nginx() {
  local rd="$WORK/nginx"
  mkdir -p "$rd/nginx-tmp"
  htpasswd -c -b -s "$rd/htpasswd" "$BACKEND_USER" "$BACKEND_PASSWORD" 2>/dev/null
  NGINX_PORT="$(free_port)"
  sed -e "s#__PORT__#$NGINX_PORT#g" -e "s#__RUNDIR__#$rd#g" -e "s#__HTPASSWD__#$rd/htpasswd#g" \
    "$PEER/nginx.conf.tmpl" > "$rd/nginx.conf"
  nginx -p "$rd" -c "$rd/nginx.conf" -e "$rd/nginx-error.log" > "$rd/nginx.out" 2>&1 &
  NGINX_PID=$!
  local url="http://127.0.0.1:$NGINX_PORT/v1/schedule" code=""
  for _ in $(seq 1 100); do  # <= 10 s
    code="$(curl -s -o /dev/null -w '%{http_code}' -X POST "$url" || true)"
    [ "$code" = 401 ] && break; sleep 0.1
  done
  [ "$code" = 401 ] || { echo "nginx did not come up (last code $code)" >&2; cat "$rd/nginx-error.log" >&2; exit 1; }
  local bad ok
  bad="$(curl -s -o /dev/null -w '%{http_code}' -u "$BACKEND_USER:wrong" -X POST -d '{}' "$url")"
  ok="$(curl -s -o /dev/null -w '%{http_code}' -u "$BACKEND_USER:$BACKEND_PASSWORD" -X POST -d '{}' "$url")"
  if [ "$bad" != 401 ] || [ "$ok" != 200 ]; then
    echo "nginx auth check failed: wrong password $bad, right $ok" >&2; exit 1
  fi
  BACKEND_URL="$url"
}

# ---- a fresh emulator with the topic and subscription; publishes `count` messages ----
start_emulator() { # start_emulator RUNDIR COUNT
  local rd="$1" count="$2"
  EMU_PORT="$(free_port)"
  "$EMULATOR" --host=127.0.0.1 --port="$EMU_PORT" > "$rd/emulator.log" 2>&1 &
  EMU_PID=$!
  local ready=""
  for _ in $(seq 1 1200); do  # <= 60 s
    if curl -sf -o /dev/null "http://127.0.0.1:$EMU_PORT/"; then ready=1; break; fi
    kill -0 "$EMU_PID" 2>/dev/null || break
    sleep 0.05
  done
  [ -n "$ready" ] || { echo "emulator did not become ready" >&2; tail -20 "$rd/emulator.log" >&2; exit 1; }
  local base="http://127.0.0.1:$EMU_PORT/v1/projects/$PROJECT"
  curl -sf -X PUT "$base/topics/$TOPIC" > /dev/null
  curl -sf -X PUT -H 'Content-Type: application/json' \
    -d "{\"topic\":\"projects/$PROJECT/topics/$TOPIC\",\"ackDeadlineSeconds\":60}" \
    "$base/subscriptions/$SUBSCRIPTION" > /dev/null
  if [ "$count" -gt 0 ]; then
    PUBSUB_EMULATOR_HOST="127.0.0.1:$EMU_PORT" PROJECT="$PROJECT" TOPIC="$TOPIC" \
      timeout 180 node "$PEER/publisher.js" "$count" > "$rd/publisher.log" 2>&1 \
      || { echo "publish failed:" >&2; cat "$rd/publisher.log" >&2; exit 1; }
    sleep 1  # let the emulator settle after the publish burst (as run-peer.sh does)
  fi
}

left_in_subscription() {
  curl -sf -X POST -H 'Content-Type: application/json' -d '{"maxMessages":1000,"returnImmediately":true}' \
    "http://127.0.0.1:$EMU_PORT/v1/projects/$PROJECT/subscriptions/$SUBSCRIPTION:pull" | grep -c '"ackId"' || true
}

write_service_config() { # write_service_config RUNDIR ADMIN_PORT [PUSH_PORT]
  local rd="$1" admin_port="$2" push_port="${3:-}"
  printf '%s' "$BACKEND_USER" > "$rd/username"
  printf '%s' "$BACKEND_PASSWORD" > "$rd/password"
  local ingest="streams: $STREAMS"
  if [ -n "$push_port" ]; then
    ingest="ingest: push
push:
  listen: 127.0.0.1:$push_port
  ack_deadline: 60s
  auth: none"
  fi
  cat > "$rd/service.yaml" <<EOF
subscription: projects/$PROJECT/subscriptions/$SUBSCRIPTION
$ingest
flow_control:
  max_outstanding_messages: $OUTSTANDING
log_level: $LOG_LEVEL
admin:
  listen: 127.0.0.1:$admin_port
routing:
  default_backend: web
backends:
  web:
    url: $BACKEND_URL
    max_concurrency: $MAX_CONCURRENCY
    auth:
      basic:
        username_file: $rd/username
        password_file: $rd/password
EOF
}

# set_push_endpoint URL|"" : the subscription becomes a push subscription to URL ("": a pull one again).
set_push_endpoint() {
  local config='{}'; [ -z "$1" ] || config="{\"pushEndpoint\":\"$1\"}"
  curl -sf -X POST -H 'Content-Type: application/json' -d "{\"pushConfig\":$config}" \
    "http://127.0.0.1:$EMU_PORT/v1/projects/$PROJECT/subscriptions/$SUBSCRIPTION:modifyPushConfig" > /dev/null
}

wait_ready() { # wait_ready ADMIN_PORT PID : up to 30 s
  for _ in $(seq 1 300); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$1/readyz" || true)" = 200 ] && return 0
    kill -0 "$2" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}

acked_total() { # acked_total ADMIN_PORT
  curl -sf "http://127.0.0.1:$1/metrics" | awk '/^schedsvc_messages_acked_total/{s+=$NF}END{printf "%d", s}'
}

SUMMARY="$WORK/summary.txt"
: > "$SUMMARY"
emit() { echo "$1" | tee -a "$SUMMARY"; }

run_peer() { # run_peer RUNDIR
  local rd="$1"
  start_emulator "$rd" "$N"
  local load t0 t1 rc=0
  load="$(load1)"; t0="$(now)"
  PUBSUB_EMULATOR_HOST="127.0.0.1:$EMU_PORT" PROJECT="$PROJECT" SUBSCRIPTION="$SUBSCRIPTION" MODE=dispatch \
    BACKEND_URL="$BACKEND_URL" BACKEND_USER="$BACKEND_USER" BACKEND_PASSWORD="$BACKEND_PASSWORD" \
    MAX_OUTSTANDING="$OUTSTANDING" MAX_STREAMS="$STREAMS" TIMEOUT_S="$SUB_TIMEOUT_S" \
    /usr/bin/time -o "$rd/time.txt" -f '%e %U %S %M' \
    timeout -k 5 $((SUB_TIMEOUT_S + 30)) node "$PEER/peer-subscriber.js" "$N" > "$rd/subscriber.log" 2>&1 || rc=$?
  t1="$(now)"
  [ "$rc" = 0 ] || { echo "peer failed rc=$rc" >&2; tail -20 "$rd/subscriber.log" >&2; exit 1; }
  local left; left="$(left_in_subscription)"
  stop_pid "$EMU_PID"; EMU_PID=""
  summarize peer "$rd" "$t0" "$t1" "$load" "$left"
}

run_service() { # run_service RUNDIR RECORD_PERF(0|1) [LABEL BINARY]
  local rd="$1" record="$2" label="${3:-schedsvc}" bin="${4:-$SERVICE_BIN}"
  start_emulator "$rd" "$N"
  local admin_port push_port=""; admin_port="$(free_port)"
  [ "$INGEST" = push ] && push_port="$(free_port)"
  write_service_config "$rd" "$admin_port" "$push_port"
  local load t0 t1 rc=0
  load="$(load1)"; t0="$(now)"
  # The service's own PID is the child of its wrapper (/usr/bin/time, or perf for the profiled run).
  if [ "$record" = 1 ]; then
    env PUBSUB_EMULATOR_HOST="127.0.0.1:$EMU_PORT" "${SERVICE_ENV[@]}" \
      perf record -g -o "$PERF_FILE" -- "$bin" --config "$rd/service.yaml" > "$rd/service.log" 2>&1 &
  else
    env PUBSUB_EMULATOR_HOST="127.0.0.1:$EMU_PORT" "${SERVICE_ENV[@]}" \
      /usr/bin/time -o "$rd/time.txt" -f '%e %U %S %M' \
      "$bin" --config "$rd/service.yaml" > "$rd/service.log" 2>&1 &
  fi
  SVC_PID=$!
  local svc=""
  for _ in $(seq 1 200); do svc="$(pgrep -P "$SVC_PID" | head -1 || true)"; [ -n "$svc" ] && break; sleep 0.01; done
  [ -n "$svc" ] || { echo "schedule-service did not start" >&2; cat "$rd/service.log" >&2; exit 1; }
  SVC_CHILD="$svc"
  if [ -n "$push_port" ]; then
    wait_ready "$admin_port" "$svc" || { echo "schedule-service (push) not ready" >&2; tail -20 "$rd/service.log" >&2; exit 1; }
    set_push_endpoint "http://127.0.0.1:$push_port/pubsub/push"
  fi
  # Done when N deliveries are logged (info/debug: "message delivered" lines, read by grep, which costs the
  # service nothing), else when schedsvc_messages_acked_total reaches N (a /metrics scrape every 200 ms).
  local done="" delivered=0
  for _ in $(seq 1 $((SUB_TIMEOUT_S * 20))); do  # 50 ms steps
    kill -0 "$svc" 2>/dev/null || break
    if [ "$LOG_LEVEL" = info ] || [ "$LOG_LEVEL" = debug ]; then
      delivered="$(grep -cF '"message":"message delivered"' "$rd/service.log" || true)"
      sleep 0.05
    else
      delivered="$(acked_total "$admin_port" || echo 0)"
      sleep 0.2
    fi
    [ "${delivered:-0}" -ge "$N" ] && { done=1; break; }
  done
  [ -n "$done" ] || { echo "schedule-service did not deliver $N messages (saw $delivered)" >&2; tail -20 "$rd/service.log" >&2; exit 1; }
  kill -TERM "$svc"
  for _ in $(seq 1 600); do kill -0 "$svc" 2>/dev/null || break; sleep 0.05; done  # <= 30 s
  wait "$SVC_PID" || rc=$?
  SVC_PID=""; SVC_CHILD=""
  t1="$(now)"
  if [ "$record" = 1 ]; then  # perf's CPU is not the service's: no summary line for this run
    [ "$rc" = 0 ] || { echo "perf record exited with rc=$rc" >&2; tail -5 "$rd/service.log" >&2; exit 1; }
    stop_pid "$EMU_PID"; EMU_PID=""
    echo "schedsvc-perf: profile of one extra run in $PERF_FILE (perf report -i $PERF_FILE --no-children)"
    return 0
  fi
  [ "$rc" = 0 ] || { echo "schedule-service exited with rc=$rc" >&2; tail -20 "$rd/service.log" >&2; exit 1; }
  [ -z "$push_port" ] || set_push_endpoint ""
  local left; left="$(left_in_subscription)"
  stop_pid "$EMU_PID"; EMU_PID=""
  summarize "$label" "$rd" "$t0" "$t1" "$load" "$left"
}

summarize() { # summarize LABEL RUNDIR T0 T1 LOAD LEFT
  local label="$1" rd="$2" t0="$3" t1="$4" load="$5" left="$6" wall ucpu scpu rsskb
  read -r _ ucpu scpu rsskb < <(tail -1 "$rd/time.txt")
  wall="$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.3f", b-a}')"
  emit "$(awk -v l="$label" -v n="$N" -v w="$wall" -v u="$ucpu" -v s="$scpu" -v k="$rsskb" -v ld="$load" -v left="$left" \
    'BEGIN{printf "%s: rate=%.0fmsg/s cpu_per_msg=%.1fus rss=%.1fMiB wall=%.2fs cpu=%.2fs load1=%s left=%d\n",
           l, n/w, (u+s)*1e6/n, k/1024, w, u+s, ld, left}')"
  [ "$left" = 0 ] || { echo "$label left $left messages in the subscription" >&2; exit 1; }
}

run_idle() { # CPU of schedule-service over IDLE_SECONDS with nothing to do
  local rd="$WORK/idle"; mkdir -p "$rd"
  start_emulator "$rd" 0
  local admin_port; admin_port="$(free_port)"
  write_service_config "$rd" "$admin_port"
  env PUBSUB_EMULATOR_HOST="127.0.0.1:$EMU_PORT" "${SERVICE_ENV[@]}" \
    "$SERVICE_BIN" --config "$rd/service.yaml" > "$rd/service.log" 2>&1 &
  SVC_PID=$!
  wait_ready "$admin_port" "$SVC_PID" || { echo "idle: schedule-service not ready" >&2; tail -20 "$rd/service.log" >&2; exit 1; }
  sleep 2  # past start-up
  local load c0 c1; load="$(load1)"; c0="$(cpu_ticks "$SVC_PID")"
  sleep "$IDLE_SECONDS"
  c1="$(cpu_ticks "$SVC_PID")"
  stop_pid "$SVC_PID"; SVC_PID=""
  stop_pid "$EMU_PID"; EMU_PID=""
  emit "$(awk -v a="$c0" -v b="$c1" -v t="$CLK_TCK" -v s="$IDLE_SECONDS" -v ld="$load" \
    'BEGIN{printf "schedsvc-idle: cpu=%.2fs over=%ds share=%.2f%% load1=%s\n", (b-a)/t, s, (b-a)/t/s*100, ld}')"
}

echo "# compare-with-peer: N=$N runs=$RUNS ingest=$INGEST streams=$STREAMS outstanding=$OUTSTANDING max_concurrency=$MAX_CONCURRENCY" \
  "log_level=$LOG_LEVEL node=$(node -v) pubsub=$(node -p "require('$PEER/node_modules/@google-cloud/pubsub/package.json').version")" \
  "nginx=$(nginx -v 2>&1 | cut -d/ -f2) service=$SERVICE_BIN nproc=$(nproc) $(date -u +%FT%TZ)"
start_nginx
for i in $(seq 1 "$RUNS"); do
  rp="$WORK/peer-$i"; rs="$WORK/schedsvc-$i"; rb="$WORK/baseline-$i"; mkdir -p "$rp" "$rs" "$rb"
  order=(peer schedsvc); [ -n "$BASELINE_BIN" ] && order+=(baseline)
  # Rotate who goes first, so that no subscriber always runs right after the same one.
  for k in $(seq 0 $((${#order[@]} - 1))); do
    case "${order[$(( (k + i - 1) % ${#order[@]} ))]}" in
      peer) run_peer "$rp" ;;
      schedsvc) run_service "$rs" 0 ;;
      baseline) run_service "$rb" 0 baseline "$BASELINE_BIN" ;;
    esac
  done
done
if [ -n "$PERF_FILE" ]; then mkdir -p "$WORK/schedsvc-perf"; run_service "$WORK/schedsvc-perf" 1; fi
[ "$IDLE_SECONDS" -gt 0 ] && run_idle

# Medians per label, then schedule-service relative to the peer.
awk '
  /^(peer|schedsvc|baseline): / {
    label = substr($1, 1, length($1) - 1)
    for (f = 2; f <= NF; ++f) { split($f, kv, "="); v = kv[2] + 0; key = label SUBSEP kv[1]; vals[key] = vals[key] " " v; cnt[key]++ }
  }
  function median(key,   a, n, i, j, t) {
    n = split(substr(vals[key], 2), a, " ")
    for (i = 2; i <= n; ++i) { t = a[i] + 0; for (j = i - 1; j >= 1 && a[j] + 0 > t; --j) a[j + 1] = a[j]; a[j + 1] = t }
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
  }
  END {
    for (l = 1; l <= 3; ++l) {
      label = l == 1 ? "peer" : l == 2 ? "schedsvc" : "baseline"
      if (!cnt[label SUBSEP "rate"]) continue
      printf "median(%s, runs=%d): rate=%.0fmsg/s cpu_per_msg=%.1fus rss=%.1fMiB load1=%.2f\n", label,
             cnt[label SUBSEP "rate"], median(label SUBSEP "rate"), median(label SUBSEP "cpu_per_msg"),
             median(label SUBSEP "rss"), median(label SUBSEP "load1")
    }
    pr = median("peer" SUBSEP "rate"); sr = median("schedsvc" SUBSEP "rate")
    pc = median("peer" SUBSEP "cpu_per_msg"); sc = median("schedsvc" SUBSEP "cpu_per_msg")
    printf "schedsvc/peer: rate x%.2f (target >= 1.5), cpu_per_msg x%.3f (target <= 0.25), rss %.1f MiB (target <= 32)\n",
           sr / pr, sc / pc, median("schedsvc" SUBSEP "rss")
    if (cnt["baseline" SUBSEP "rate"])
      printf "schedsvc/baseline: rate x%.2f, cpu_per_msg x%.3f\n", sr / median("baseline" SUBSEP "rate"),
             sc / median("baseline" SUBSEP "cpu_per_msg")
  }' "$SUMMARY"
