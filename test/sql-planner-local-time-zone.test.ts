// 'table.local-time-zone': TIMESTAMP_LTZ values shown, cast and formatted as wall time of the session zone.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { runQuery } from './sql-planner-gaps-helpers.js';

const JULY = Date.UTC(2021, 6, 1, 12, 0, 0);
const JANUARY = Date.UTC(2021, 0, 1, 12, 0, 0);
const tables = {
  t: {
    columns: 'id INT, e BIGINT',
    rows: [
      { id: 1, e: JULY },
      { id: 2, e: JANUARY },
    ],
  },
};

const QUERY = `SELECT id,
  CAST(TO_TIMESTAMP_LTZ(e, 3) AS TIMESTAMP(3)) AS wall,
  DATE_FORMAT(TO_TIMESTAMP_LTZ(e, 3), 'yyyy-MM-dd HH:mm') AS f,
  CAST(TO_TIMESTAMP_LTZ(e, 3) AS STRING) AS s,
  HOUR(TO_TIMESTAMP_LTZ(e, 3)) AS h,
  CAST(CAST(TO_TIMESTAMP_LTZ(e, 3) AS TIMESTAMP(3)) AS TIMESTAMP_LTZ(3)) AS back,
  CAST('2021-07-01 20:00:00' AS TIMESTAMP_LTZ(3)) AS parsed
FROM t`;

async function run(zone: string | undefined) {
  const { result } = await runQuery(tables, QUERY, (tEnv) => {
    if (zone !== undefined) tEnv.executeSql(`SET 'table.local-time-zone' = '${zone}'`);
  });
  return result
    .map((r) => JSON.parse(r) as Record<string, unknown>)
    .sort((a, b) => (a.id as number) - (b.id as number));
}

const H = 3600000;

describe("'table.local-time-zone'", () => {
  test('UTC by default: wall time equals the instant', async () => {
    const [july] = await run(undefined);
    assert.equal(july!.wall, JULY);
    assert.equal(july!.f, '2021-07-01 12:00');
    assert.equal(july!.h, 12);
    assert.equal(july!.back, JULY);
    assert.equal(july!.parsed, Date.UTC(2021, 6, 1, 20));
  });

  test('Asia/Shanghai (+8, no daylight saving time)', async () => {
    const [july, jan] = await run('Asia/Shanghai');
    assert.equal(july!.wall, JULY + 8 * H);
    assert.equal(july!.f, '2021-07-01 20:00');
    assert.equal(july!.s, '2021-07-01 20:00:00.000');
    assert.equal(july!.h, 20);
    assert.equal(july!.back, JULY);
    assert.equal(july!.parsed, Date.UTC(2021, 6, 1, 12));
    assert.equal(jan!.f, '2021-01-01 20:00');
  });

  test('America/New_York follows daylight saving time; fixed offsets work', async () => {
    const [july, jan] = await run('America/New_York');
    assert.equal(july!.f, '2021-07-01 08:00');
    assert.equal(jan!.f, '2021-01-01 07:00');
    assert.equal(july!.back, JULY);
    assert.equal(jan!.back, JANUARY);
    const [fixed] = await run('-03:30');
    assert.equal(fixed!.f, '2021-07-01 08:30');
  });

  test('an unknown zone is refused at SET', async () => {
    await assert.rejects(run('Mars/Olympus'), /Invalid time zone 'Mars\/Olympus'/);
  });
});
