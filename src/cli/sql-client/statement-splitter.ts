/**
 * Splits what the user typed so far into complete statements (each ending with a ';' outside quotes and comments)
 * and the unfinished rest. Quotes: '...' strings (with '' inside), `...` identifiers and "..." identifiers;
 * comments: -- to the end of the line and block comments.
 */
export function splitStatements(text: string): { statements: string[]; rest: string } {
  const statements: string[] = [];
  let start = 0;
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === "'" || c === '`' || c === '"') {
      const close = text.indexOf(c, i + 1);
      if (close === -1) break;
      i = close + 1;
    } else if (c === '-' && text[i + 1] === '-') {
      const nl = text.indexOf('\n', i);
      if (nl === -1) break;
      i = nl + 1;
    } else if (c === '/' && text[i + 1] === '*') {
      const close = text.indexOf('*/', i + 2);
      if (close === -1) break;
      i = close + 2;
    } else if (c === ';') {
      const statement = text.slice(start, i + 1).trim();
      if (statement !== ';') statements.push(statement);
      start = i + 1;
      i++;
    } else i++;
  }
  return { statements, rest: text.slice(start).trim() === '' ? '' : text.slice(start) };
}
