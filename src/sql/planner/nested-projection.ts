import type { Rex } from '../plan/rex.js';
import type { RowField } from '../types/sql-type.js';
import { inputsOf, type LogicalNode } from './logical-nodes.js';

/**
 * Nested projection push-down: which fields of a table's ROW columns a statement reads, so that a source decodes
 * only those (Nexmark's `bid` view reads `bid.auction`, `bid.price`, … of the `nexmark` table's `bid` column, never
 * its `person` or `auction` fields' strings).
 *
 * The rows keep their shape: a field nobody reads is marked `unread` in the source request and comes out NULL, so
 * no field reference needs renumbering. Only a calc directly over a scan reads fields one by one; any other reader
 * of a scan column (a join key, a whole-row projection, an aggregate) takes it whole.
 */

/** Per table column: the field indices read, or 'whole' when the column is read as a value of its own. */
export type FieldUses = Map<number, Set<number> | 'whole'>;

/** The field uses of every table scanned under `root`, by qualified table name (scans of a table share a source). */
export function scanFieldUses(root: LogicalNode): Map<string, FieldUses> {
  const byTable = new Map<string, FieldUses>();
  const usesOf = (scan: LogicalNode & { kind: 'scan' }): [FieldUses, readonly number[]] => {
    let uses = byTable.get(scan.table.qualifiedName);
    if (uses === undefined) {
      uses = new Map();
      byTable.set(scan.table.qualifiedName, uses);
    }
    return [uses, scan.projection ?? scan.table.columns.map((_, i) => i)];
  };
  const seen = new Set<LogicalNode>();
  const visit = (node: LogicalNode): void => {
    if (seen.has(node)) return;
    seen.add(node);
    if (node.kind === 'scan' && node === root) {
      const [uses, columns] = usesOf(node);
      for (const c of columns) uses.set(c, 'whole');
    }
    for (const input of inputsOf(node)) {
      if (input.kind === 'scan') {
        const [uses, columns] = usesOf(input);
        if (node.kind === 'calc') {
          for (const r of [...node.projects, node.condition]) {
            if (r !== undefined) recordFieldUses(r, (j) => columns[j]!, uses);
          }
        } else {
          for (const c of columns) uses.set(c, 'whole');
        }
      }
      visit(input);
    }
  };
  visit(root);
  return byTable;
}

/** Adds what `rex` reads to `uses`; `columnOf` maps its input references to table columns. */
export function recordFieldUses(rex: Rex, columnOf: (input: number) => number, uses: FieldUses): void {
  switch (rex.kind) {
    case 'input':
      uses.set(columnOf(rex.index), 'whole');
      break;
    case 'field':
      if (rex.expression.kind === 'input') {
        const column = columnOf(rex.expression.index);
        const fields = uses.get(column);
        if (fields === 'whole') break;
        if (fields === undefined) uses.set(column, new Set([rex.index]));
        else fields.add(rex.index);
      } else recordFieldUses(rex.expression, columnOf, uses);
      break;
    case 'call':
      for (const a of rex.args) recordFieldUses(a, columnOf, uses);
      break;
    default:
  }
}

/**
 * `field` with the ROW fields nobody reads marked `unread` (unchanged when it is not a ROW, when it is read whole,
 * or when every field is read).
 */
export function markUnreadFields(field: RowField, read: Set<number> | 'whole' | undefined): RowField {
  if (field.type.kind !== 'ROW' || read === undefined || read === 'whole') return field;
  if (field.type.fields.every((_, i) => read.has(i))) return field;
  const fields = field.type.fields.map((f, i) => (read.has(i) ? f : { ...f, unread: true as const }));
  return { ...field, type: { ...field.type, fields } };
}
