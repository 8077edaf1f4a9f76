// VARCHAR without a length is STRING (VARCHAR(2147483647)) in DDL, CAST and function signatures, as in Flink SQL.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { environment, rowsOf, runQuery } from './sql-planner-gaps-helpers.js';

const tables = {
  t: { columns: 'name VARCHAR, code CHAR, raw VARBINARY', rows: [{ name: 'abcdef', code: 'x', raw: 'AAE=' }] },
};

describe('VARCHAR without a length', () => {
  test('DDL: the column is STRING, CHAR is CHAR(1), VARBINARY is BYTES', () => {
    const { tEnv } = environment(tables);
    const [d] = tEnv.executeSql('DESCRIBE t');
    const rows = d!.kind === 'table' ? d!.rows : [];
    const types = rows.map((r) => String(r[1]));
    assert.deepEqual(types, ['STRING', 'CHAR(1)', 'BYTES']);
  });

  test('CAST(x AS VARCHAR) and a function declared RETURNS VARCHAR keep the whole text', async () => {
    const { result } = await runQuery(tables, 'SELECT CAST(name AS VARCHAR) AS a, twice(name) AS b FROM t', (tEnv) =>
      tEnv.executeSql('CREATE FUNCTION twice(s VARCHAR) RETURNS VARCHAR AS $$ (s) => s + s $$ LANGUAGE JAVASCRIPT'),
    );
    assert.deepEqual(result, rowsOf([{ a: 'abcdef', b: 'abcdefabcdef' }]));
  });
});
