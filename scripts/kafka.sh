#!/usr/bin/env bash
# A single-node Apache Kafka broker (KRaft, no ZooKeeper) for development, tests and CI.
#
#   bash scripts/kafka.sh start     fetch Kafka on first use (Maven Central, cached), format storage, start, wait until ready
#   bash scripts/kafka.sh stop      stop the broker (SIGTERM, then SIGKILL after a bound) and delete its data
#   bash scripts/kafka.sh status    exit 0 when the broker runs
#   bash scripts/kafka.sh cluster-id [N]   print N (default 1) new cluster ids, one a line, as `start` draws them
#
# Environment (all optional):
#   KAFKA_VERSION          Apache Kafka version (default 4.1.1)
#   KAFKA_PORT             PLAINTEXT port on 127.0.0.1 (default 9092)
#   KAFKA_CONTROLLER_PORT  KRaft controller port on 127.0.0.1 (default KAFKA_PORT + 1)
#   KAFKA_CACHE_DIR        where the jars are cached (default <repo>/.cache/kafka); jars in $KAFKA_CACHE_DIR/<version>/libs
#   KAFKA_RUN_DIR          config, pid, log and data of the running broker (default <repo>/.cache/kafka-run-<port>)
#   KAFKA_START_TIMEOUT    seconds to wait for the broker to be ready (default 60)
#   KAFKA_HEAP_OPTS        JVM heap options (default -Xms256m -Xmx1g)
#   KAFKA_RANDOM_SOURCE    where cluster ids' random bytes come from (default /dev/urandom)
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
version="${KAFKA_VERSION:-4.1.1}"
port="${KAFKA_PORT:-9092}"
controller_port="${KAFKA_CONTROLLER_PORT:-$((port + 1))}"
cache="${KAFKA_CACHE_DIR:-$repo/.cache/kafka}"
libs="$cache/$version/libs"
run="${KAFKA_RUN_DIR:-$repo/.cache/kafka-run-$port}"
timeout="${KAFKA_START_TIMEOUT:-60}"
pidfile="$run/kafka.pid"
logfile="$run/kafka.log"
config="$run/server.properties"
data="$run/data"
host=127.0.0.1
random_source="${KAFKA_RANDOM_SOURCE:-/dev/urandom}"

say() { echo "kafka.sh: $*" >&2; }

# A new cluster id: 16 random bytes, URL-safe base64 without padding (what `kafka-storage random-uuid` prints). Like
# Kafka's own Uuid.randomUuid it draws again when the id would start with '-' (one time in 64): the storage tool's
# argument parser would take such an id for an option and fail with "--cluster-id: expected one argument".
new_cluster_id() {
  local id
  # One open file for all draws: each draw takes the next 16 bytes.
  exec 3<"$random_source"
  while :; do
    id="$(head -c 16 <&3 | base64 | tr '+/' '-_' | tr -d '=')"
    [[ "$id" == -* ]] || break
  done
  exec 3<&-
  echo "$id"
}

running() {
  [[ -s "$pidfile" ]] || return 1
  local pid
  pid="$(cat "$pidfile")"
  kill -0 "$pid" 2>/dev/null || return 1
  # A stale pid file may name a pid reused by another process.
  [[ ! -r "/proc/$pid/cmdline" ]] || tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q 'kafka\.Kafka\|setsid\|bash'
}

port_open() {
  (exec 3<>"/dev/tcp/$host/$1") 2>/dev/null
}

# Downloads Kafka and its runtime dependencies from Maven Central into $libs (once).
fetch() {
  if [[ -f "$libs/.complete" ]]; then return; fi
  command -v mvn >/dev/null || { say "Maven (mvn) is needed to fetch Kafka: apt-get install maven"; exit 1; }
  command -v java >/dev/null || { say "Java 17+ is needed to run Kafka: apt-get install openjdk-17-jre-headless"; exit 1; }
  say "fetching Apache Kafka $version from Maven Central into $libs (first use only)"
  local work="$cache/$version/pom"
  rm -rf "$work" "$libs"
  mkdir -p "$work"
  # kafka_2.13 is the broker (kafka.Kafka, kafka.tools.StorageTool) and brings kafka-server, kafka-clients,
  # kafka-metadata, kafka-raft, kafka-storage, the coordinators, ...; kafka-tools adds the command-line tools
  # (used for the readiness check when kcat is missing); log4j gives the broker a log.
  cat >"$work/pom.xml" <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>sluice.local</groupId>
  <artifactId>kafka-broker</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka_2.13</artifactId><version>$version</version></dependency>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka-tools</artifactId><version>$version</version></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-slf4j-impl</artifactId><version>2.24.3</version></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-core</artifactId><version>2.24.3</version></dependency>
  </dependencies>
</project>
EOF
  mvn -q -B -f "$work/pom.xml" dependency:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$libs.tmp" >"$cache/$version/mvn.log" 2>&1 || {
    tail -n 30 "$cache/$version/mvn.log" >&2
    say "Maven could not fetch Kafka $version (log: $cache/$version/mvn.log)"
    exit 1
  }
  rm -rf "$libs"
  mv "$libs.tmp" "$libs"
  touch "$libs/.complete"
  say "fetched $(find "$libs" -name '*.jar' | wc -l) jars"
}

# Whether the broker answers a metadata request (kcat when installed, else Kafka's own tools).
metadata_ok() {
  if command -v kcat >/dev/null; then
    kcat -L -b "$host:$port" -m 5 2>/dev/null | grep -q '1 brokers:'
  else
    java -cp "$libs/*" -Dlog4j2.configurationFile="$run/log4j2-tools.properties" \
      org.apache.kafka.tools.ClusterTool cluster-id --bootstrap-server "$host:$port" >/dev/null 2>&1
  fi
}

start() {
  if running; then
    say "already running (pid $(cat "$pidfile")) on $host:$port"
    return 0
  fi
  if port_open "$port"; then
    say "port $port is in use by another process: set KAFKA_PORT"
    exit 1
  fi
  fetch
  rm -rf "$data"
  mkdir -p "$run" "$data"
  cat >"$config" <<EOF
process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=$host:$controller_port
listeners=PLAINTEXT://$host:$port,CONTROLLER://$host:$controller_port
advertised.listeners=PLAINTEXT://$host:$port
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
controller.listener.names=CONTROLLER
log.dirs=$data
num.partitions=1
auto.create.topics.enable=true
default.replication.factor=1
min.insync.replicas=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=4
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=4
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
transaction.max.timeout.ms=900000
# Tests and examples write records with event-time timestamps from the past: never delete by age.
log.retention.ms=-1
log.segment.bytes=67108864
num.network.threads=2
num.io.threads=4
EOF
  cat >"$run/log4j2.properties" <<EOF
status = warn
appender.out.type = Console
appender.out.name = out
appender.out.layout.type = PatternLayout
appender.out.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.out.ref = out
logger.kafka.name = kafka
logger.kafka.level = INFO
logger.state.name = state.change.logger
logger.state.level = WARN
logger.request.name = kafka.request.logger
logger.request.level = WARN
EOF
  cat >"$run/log4j2-tools.properties" <<EOF
status = error
rootLogger.level = ERROR
EOF
  local java_opts=(-cp "$libs/*" -Dlog4j2.configurationFile="$run/log4j2.properties" -Djava.awt.headless=true)
  local cluster_id
  cluster_id="$(new_cluster_id)"
  java "${java_opts[@]}" kafka.tools.StorageTool format -t "$cluster_id" -c "$config" --standalone \
    >"$run/format.log" 2>&1 || {
    cat "$run/format.log" >&2
    say "formatting storage failed"
    exit 1
  }
  say "starting Kafka $version on $host:$port (log: $logfile)"
  rm -f "$pidfile"
  # setsid: the broker outlives this script and gets no terminal signals meant for it; the inner shell writes its
  # own pid and becomes the JVM (exec), so the pid file names the broker whatever setsid does.
  KAFKA_HEAP_OPTS="${KAFKA_HEAP_OPTS:--Xms256m -Xmx1g}" PIDFILE="$pidfile" \
    setsid bash -c 'echo $$ >"$PIDFILE"; exec java $KAFKA_HEAP_OPTS -XX:+UseG1GC "$@"' kafka \
    "${java_opts[@]}" kafka.Kafka "$config" >"$logfile" 2>&1 </dev/null &
  local waited=0
  until [[ -s "$pidfile" ]]; do
    sleep 0.05
    waited=$((waited + 1))
    if ((waited > 200)); then
      say "the broker process did not start"
      exit 1
    fi
  done
  local deadline=$((SECONDS + timeout))
  until port_open "$port"; do
    if ! running; then
      tail -n 40 "$logfile" >&2
      say "the broker exited during start-up"
      rm -f "$pidfile"
      exit 1
    fi
    if ((SECONDS >= deadline)); then
      tail -n 40 "$logfile" >&2
      say "the broker did not open port $port within $timeout s"
      stop
      exit 1
    fi
    sleep 0.2
  done
  until metadata_ok; do
    if ! running || ((SECONDS >= deadline)); then
      tail -n 40 "$logfile" >&2
      say "the broker did not answer metadata requests within $timeout s"
      stop
      exit 1
    fi
    sleep 0.5
  done
  say "ready on $host:$port (pid $(cat "$pidfile"))"
}

stop() {
  if running; then
    local pid
    pid="$(cat "$pidfile")"
    say "stopping pid $pid"
    kill -TERM "$pid" 2>/dev/null || true
    local deadline=$((SECONDS + 30))
    while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.2; done
    if kill -0 "$pid" 2>/dev/null; then
      say "pid $pid did not stop within 30 s: SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
    fi
  else
    say "not running"
  fi
  rm -f "$pidfile"
  rm -rf "$data"
}

case "${1:-}" in
start) start ;;
stop) stop ;;
status)
  if running; then
    say "running (pid $(cat "$pidfile")) on $host:$port"
  else
    say "not running"
    exit 1
  fi
  ;;
fetch) fetch ;;
cluster-id)
  for ((i = 0; i < ${2:-1}; i++)); do new_cluster_id; done
  ;;
*)
  echo "usage: bash scripts/kafka.sh start|stop|status|fetch|cluster-id [N]" >&2
  exit 2
  ;;
esac
