#!/usr/bin/env bash
# Flink 2.3 SQL next to Sluice SQL (and Sluice's DataStream job) on the same JSON Lines events file, one query at a
# time, each run in its own process: Flink through the peer harness's FlinkNexmark (--mode throughput, the query's
# blackhole sink, the reference's table options), Sluice through bench/nexmark/measure-sql.ts (--source file, the
# peer's filesystem json DDL) and bench/nexmark/measure.ts (--input). Prints one JSON line per run.
#
#   bench/nexmark/flink-sql-side-by-side.sh EVENTS.jsonl N_EVENTS "q0 q1 q2 q5 q8" [engines: flink,sql,ds] [P]
#
# FLINK_PEER: a built copy of /work/shared/peers/flink-nexmark (`mvn -B -q -DskipTests package` in it; target/
# classes and target/lib are used), default /tmp/flink-peer. Flink's figure is its job net runtime
# (JobExecutionResult#getNetRuntime: without JVM start, planning or MiniCluster start); the JVM's user+system CPU
# of the whole process (start-up, planning and JIT included) is printed next to it.
set -euo pipefail
EVENTS_FILE=$(realpath "$1"); N=$2; QUERIES=$3; ENGINES=${4:-flink,sql,ds}; P=${5:-1}
HERE=$(cd "$(dirname "$0")" && pwd)
PEER=${FLINK_PEER:-/tmp/flink-peer}
SQL_DIR=${NEXMARK_SQL_DIR:-/work/shared/nexmark-sql}
OPENS=$(python3 -c "import sys; sys.path.insert(0, '$PEER'); import driver; print(' '.join(driver.JAVA_OPENS))")
TIMEFORMAT='%U %S %R'
for q in $QUERIES; do
  if [[ $ENGINES == *flink* ]]; then
    out=$( { time java -Xmx8g $OPENS -cp "$PEER/target/classes:$PEER/target/lib/*" sluice.peers.flink.FlinkNexmark \
      --sql-dir "$SQL_DIR" --query "$q" --mode throughput --source file --input "$EVENTS_FILE" --parallelism "$P" \
      2>/dev/null | tail -1; } 2>&1 )
    json=$(echo "$out" | head -1); read -r u s r <<<"$(echo "$out" | tail -1)"
    echo "{\"engine\":\"flink-sql\",\"query\":\"$q\",\"p\":$P,\"events\":$N,\"timing\":$json,\"jvmCpuSeconds\":$(python3 -c "print($u+$s)"),\"jvmWallSeconds\":$r}"
  fi
  if [[ $ENGINES == *sql* ]]; then
    echo "{\"engine\":\"sluice-sql\",\"p\":$P,\"run\":$(node --import tsx "$HERE/measure-sql.ts" "$q" --events "$N" --parallelism "$P" --source file --input "$EVENTS_FILE" --sql-dir "$SQL_DIR" 2>/dev/null | tail -1)}"
  fi
  if [[ $ENGINES == *ds* ]]; then
    echo "{\"engine\":\"sluice-datastream\",\"p\":$P,\"run\":$(node --import tsx "$HERE/measure.ts" "$q" --events "$N" --parallelism "$P" --input "$EVENTS_FILE" 2>/dev/null | tail -1)}"
  fi
done
