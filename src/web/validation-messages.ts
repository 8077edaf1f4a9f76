/** What ajv reports of one failed check (the fields used here). */
interface SchemaError {
  instancePath: string;
  keyword: string;
  params: Record<string, unknown>;
  message?: string;
}

/**
 * Readable reasons for a request that failed its schema: unknown keys are named together (with where they were
 * found), the file-or-sql alternative of `POST /jobs` is stated once, and every other failure reads
 * `body/parallelism must be >= 1`.
 */
export function validationMessages(errors: readonly SchemaError[], context = 'request'): string[] {
  const where = context === 'querystring' ? 'query parameter' : context === 'params' ? 'path parameter' : 'field';
  const unknown = errors
    .filter((e) => e.keyword === 'additionalProperties')
    .map((e) => String(e.params.additionalProperty));
  const out: string[] = [];
  if (unknown.length > 0) {
    out.push(`unknown ${where}${unknown.length > 1 ? 's' : ''}: ${[...new Set(unknown)].join(', ')}`);
  }
  const oneOf = errors.some((e) => e.keyword === 'oneOf' && e.instancePath === '');
  if (oneOf) out.push(`${context} needs exactly one of 'file' and 'sql'`);
  for (const e of errors) {
    if (e.keyword === 'additionalProperties' || e.keyword === 'oneOf') continue;
    if (oneOf && e.keyword === 'required' && e.instancePath === '') continue;
    out.push(`${context}${e.instancePath} ${e.message ?? e.keyword}`);
  }
  return out.length > 0 ? out : [`invalid ${context}`];
}
