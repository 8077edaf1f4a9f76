// Nested projection push-down: a JSON source decodes only the fields of ROW columns that the statement reads.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { jsonRowLineFormat } from '../src/sql/connectors/formats/row-line-formats.js';
import type { RowField, SqlType } from '../src/sql/types/sql-type.js';
import { rowsOf, runQuery, type TestTable } from './sql-planner-gaps-helpers.js';

const COLUMNS = 'id BIGINT, r ROW<a BIGINT, b VARCHAR, c BIGINT>, s ROW<x BIGINT, y VARCHAR>';

/** Deterministic rows with NULL rows and NULL fields among them. */
function rows(count: number): Record<string, unknown>[] {
  let seed = 7;
  const next = () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed;
  };
  const out: Record<string, unknown>[] = [];
  for (let id = 0; id < count; id++) {
    const r =
      next() % 10 === 0 ? null : { a: next() % 50, b: `b${next() % 7}`, c: next() % 9 === 0 ? null : next() % 20 };
    const s = next() % 8 === 0 ? null : { x: next() % 30, y: `y${next() % 5}` };
    out.push({ id, r, s });
  }
  return out;
}

type R = { a: number; b: string; c: number | null } | null;
type S = { x: number; y: string } | null;

describe('SQL nested projection push-down', () => {
  const data = rows(300);
  const table: Record<string, TestTable> = { t: { columns: COLUMNS, rows: data } };

  test('queries reading some fields of ROW columns give what the rows hold', async () => {
    const cases: [string, (row: { id: number; r: R; s: S }) => Record<string, unknown> | undefined][] = [
      [
        'SELECT id, r.a AS a FROM t WHERE r.c > 5',
        (x) => (x.r?.c != null && x.r.c > 5 ? { id: x.id, a: x.r.a } : undefined),
      ],
      ['SELECT r.b AS b, s.y AS y FROM t', (x) => ({ b: x.r?.b ?? null, y: x.s?.y ?? null })],
      [
        "SELECT id, r.a + s.x AS z FROM t WHERE s.y = 'y1'",
        (x) => (x.s?.y === 'y1' ? { id: x.id, z: x.r === null ? null : x.r.a + x.s.x } : undefined),
      ],
      // Read whole as well as by field: the whole row must come out complete.
      [
        'SELECT id, r.a AS a, r FROM t WHERE id < 40',
        (x) =>
          x.id < 40 ? { id: x.id, a: x.r?.a ?? null, r: x.r === null ? null : [x.r.a, x.r.b, x.r.c] } : undefined,
      ],
    ];
    for (const [query, expected] of cases) {
      const { result } = await runQuery(table, query);
      const want = data.flatMap((row) => {
        const e = expected(row as { id: number; r: R; s: S });
        return e === undefined ? [] : [e];
      });
      assert.deepStrictEqual(result, rowsOf(want), query);
    }
  });

  test('two views reading different fields of one table share its source and each get theirs', async () => {
    const setup = (tEnv: Parameters<NonNullable<Parameters<typeof runQuery>[2]>>[0]) => {
      tEnv.executeSql('CREATE VIEW va AS SELECT id, r.a AS a FROM t');
      tEnv.executeSql('CREATE VIEW vy AS SELECT id, s.y AS y FROM t');
    };
    const { result } = await runQuery(table, 'SELECT va.id, a, y FROM va JOIN vy ON va.id = vy.id', setup);
    const want = data.map((x) => ({ id: x.id, a: (x.r as R)?.a ?? null, y: (x.s as S)?.y ?? null }));
    assert.deepStrictEqual(result, rowsOf(want));
  });

  // A value that does not fit its type fails only when the field is decoded: that it does not fail unread shows the
  // push-down at work (as in Flink, whose projected json format converts only the projected fields).
  const bad: Record<string, TestTable> = {
    t: {
      columns: `${COLUMNS}, rc AS r.c`,
      rows: [
        { id: 1, r: { a: 1, b: 'x', c: 3 }, s: { x: 1, y: 'p' } },
        { id: 2, r: { a: 2, b: 'y', c: 'not a number' }, s: { x: 2, y: 'q' } },
      ],
    },
  };

  test('an unread field is not decoded', async () => {
    const { result } = await runQuery(bad, 'SELECT id, r.a AS a, s.y AS y FROM t');
    assert.deepStrictEqual(
      result,
      rowsOf([
        { id: 1, a: 1, y: 'p' },
        { id: 2, a: 2, y: 'q' },
      ]),
    );
  });

  test('a field read directly, or through a computed column, is decoded and checked', async () => {
    for (const query of [
      'SELECT id, r.c AS c FROM t',
      'SELECT id, rc FROM t',
      'SELECT id, r.a AS a, rc FROM t',
      'SELECT id FROM t WHERE r.c IS NULL',
    ]) {
      await assert.rejects(runQuery(bad, query), /t\.jsonl:2: .*r\.c.*expected BIGINT/, query);
    }
  });
});

describe('SQL json format with unread fields', () => {
  const n: SqlType = { kind: 'BIGINT', nullable: true };
  const s: SqlType = { kind: 'VARCHAR', length: 2147483647, nullable: true };
  const fields: RowField[] = [
    { name: 'id', type: n },
    {
      name: 'r',
      type: {
        kind: 'ROW',
        nullable: true,
        fields: [
          { name: 'a', type: n },
          { name: 'b', type: s, unread: true },
          { name: 'c', type: n, unread: true },
        ],
      },
    },
  ];

  test('unread fields come out NULL from bytes and from text alike, whatever they hold', () => {
    for (const options of [
      { failOnMissingField: false, ignoreParseErrors: false },
      { failOnMissingField: true, ignoreParseErrors: false },
    ]) {
      const parser = jsonRowLineFormat(fields, options).forFile(undefined);
      for (const line of [
        '{"id":1,"r":{"a":5,"b":"x","c":"not a number"}}',
        '{"id":2,"r":{"a":6}}',
        '{"id":3,"r":{"c":{"deep":[1,2]},"a":"7"}}',
      ]) {
        const bytes = Buffer.from(line);
        const fromBytes = parser.parseBytes!(bytes, 0, bytes.length);
        assert.deepStrictEqual(fromBytes, parser.parseLine(line), line);
        const row = fromBytes as unknown[];
        assert.deepStrictEqual((row[2] as unknown[]).slice(1), [null, null], line);
      }
    }
  });
});
