import type { FunctionRegistry } from './function-registry.js';

const TITLES: Record<string, string> = {
  comparison: 'Comparison',
  logical: 'Logical',
  arithmetic: 'Arithmetic',
  string: 'String',
  math: 'Math',
  conditional: 'Conditional',
  temporal: 'Date and time',
  collection: 'Collections and rows',
  type: 'Type',
  aggregate: 'Aggregate',
};

const escapeCell = (text: string) => text.replace(/\|/g, '\\|');

/**
 * docs/SQL-FUNCTIONS.md, generated from the registry so the page lists exactly what is implemented
 * (test/sql-functions-docs.test.ts keeps the file equal to this).
 */
export function renderFunctionDocs(registry: FunctionRegistry): string {
  const lines = [
    '# SQL functions',
    '',
    "Every built-in function and operator of Sluice SQL, with Flink's names and semantics. Names are",
    'case-insensitive. Unless a description says otherwise, a NULL argument gives NULL. This page is generated',
    'from the function registry (`UPDATE_DOCS=1 node --import tsx --test test/sql-functions-docs.test.ts`).',
    '',
    'Time zone: `table.local-time-zone` is UTC. TIMESTAMP_LTZ values show, format and extract as UTC wall time,',
    "so CAST between TIMESTAMP and TIMESTAMP_LTZ keeps the epoch milliseconds. Date patterns use Java's letters",
    "(`yyyy-MM-dd HH:mm:ss.SSS`, `EEE`, `MMM`, `a`, `'quoted text'`).",
    '',
    'User functions: `CREATE FUNCTION f AS $$ (x) => x * 2 $$ LANGUAGE JAVASCRIPT` (or TYPESCRIPT), or',
    "`CREATE FUNCTION f AS './udfs.ts#f' LANGUAGE TYPESCRIPT`; add `f(a BIGINT) RETURNS STRING` to declare types.",
    'Without RETURNS the result type is ANY (values pass through as they are). A plain function is scalar, an',
    '`async function` runs on the async I/O operator, a generator function (`function*`) is a table function for',
    '`LATERAL TABLE(f(...))`, and an object with `createAccumulator`, `accumulate` and `getValue` (optionally',
    '`retract`, `merge`) is an aggregate. NULL arguments skip the call unless the function has `callOnNull = true`.',
    '',
  ];
  const groups = new Map<string, string[]>();
  const add = (category: string, row: string) => {
    const rows = groups.get(category) ?? [];
    rows.push(row);
    groups.set(category, rows);
  };
  for (const f of registry.builtinScalarFunctions()) {
    const named = f.signatures.some((s) => s.includes(f.name)) ? '' : `${f.name}: `;
    add(
      f.category,
      `| ${named}${escapeCell(f.signatures.map((s) => `\`${s}\``).join('<br>'))} | ${escapeCell(f.returnsText)} | ${escapeCell(f.description)} |`,
    );
  }
  for (const f of registry.builtinAggregateFunctions()) {
    const retract = f.retractable ? '' : ' Not retractable.';
    add(
      'aggregate',
      `| ${escapeCell(f.signatures.map((s) => `\`${s}\``).join('<br>'))} | ${escapeCell(f.returnsText)} | ${escapeCell(f.description)}${retract} |`,
    );
  }
  for (const [category, title] of Object.entries(TITLES)) {
    const rows = groups.get(category);
    if (rows === undefined) continue;
    lines.push(`## ${title}`, '', '| function | returns | meaning |', '| --- | --- | --- |', ...rows, '');
  }
  return `${lines.join('\n').trimEnd()}\n`;
}
