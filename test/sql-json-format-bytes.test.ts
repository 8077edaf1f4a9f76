import assert from 'node:assert/strict';
import { test } from 'node:test';
import { jsonRowLineFormat } from '../src/sql/connectors/formats/row-line-formats.js';
import type { RowField, SqlType } from '../src/sql/types/sql-type.js';

const n = (kind: 'BIGINT' | 'DOUBLE' | 'BOOLEAN'): SqlType => ({ kind, nullable: true });
const s: SqlType = { kind: 'VARCHAR', length: 2147483647, nullable: true };
const FIELDS: RowField[] = [
  { name: 'id', type: n('BIGINT') },
  { name: 'name', type: s },
  {
    name: 'bid',
    type: {
      kind: 'ROW',
      nullable: true,
      fields: [
        { name: 'price', type: n('DOUBLE') },
        { name: 'ok', type: n('BOOLEAN') },
        { name: 'tags', type: { kind: 'ARRAY', element: s, nullable: true } },
      ],
    },
  },
  { name: 'toString', type: s },
];

const LINES = [
  '{"id":1,"name":"a","bid":{"price":1.5,"ok":true,"tags":["x","y\\n"],"skip":{"a":[1]}},"zzz":"\\u00e9"}',
  '  {"bid":null,"id":"2","name":7}  ',
  '{"id":3,"bid":{"price":"4.25"},"name":{"nested":["obj"]}}',
  '{"id":4,"bid":5}',
  '{"id":1.5}',
  '{"id":6,"bid":{"ok":"maybe"}}',
  '{"id":7,"name":"日本","id":8}',
  '{"id": 9, oops}',
  '[1,2]',
  '',
  '{"toString":"own"}',
];

test('sql json format: decoding from bytes gives the outcome of parsing the line', () => {
  for (const options of [
    { failOnMissingField: false, ignoreParseErrors: false },
    { failOnMissingField: true, ignoreParseErrors: false },
    { failOnMissingField: false, ignoreParseErrors: true },
  ]) {
    const parser = jsonRowLineFormat(FIELDS, options).forFile(undefined);
    assert.ok(parser.parseBytes !== undefined);
    for (const line of LINES) {
      const bytes = Buffer.from(`#${line}\n`);
      const fromBytes = parser.parseBytes(bytes, 1, bytes.length - 1);
      const fromText = parser.parseLine(line);
      assert.deepStrictEqual(fromBytes, fromText, `${JSON.stringify(options)} ${line}`);
    }
  }
});
