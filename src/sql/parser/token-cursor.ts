import { nearestName, SqlError } from '../sql-error.js';
import type { Identifier, QualifiedName, Span } from './ast.js';
import { CLAUSE_KEYWORDS, RESERVED } from './keywords.js';
import type { Token } from './lexer.js';

/**
 * The parser's position in the token list, with the bookkeeping for good errors: every keyword or symbol a parse
 * function looked for and did not find at the current token is remembered, so a failure there can say what would
 * have been accepted ("Unexpected 'FORM'; expected FROM, WHERE, …") and suggest the nearest keyword.
 */
export class TokenCursor {
  private pos = 0;
  private expectedAt = -1;
  private readonly expected = new Set<string>();
  /** The last word taken as an implicit alias, to diagnose a misspelt clause keyword (`SELECT a FORM t`). */
  private implicitAlias: Token | undefined;

  constructor(
    private readonly tokens: readonly Token[],
    readonly text: string,
    readonly source: string,
  ) {}

  /** The token `k` places ahead (the eof token past the end). */
  peek(k = 0): Token {
    return this.tokens[Math.min(this.pos + k, this.tokens.length - 1)] as Token;
  }

  /** Consumes and returns the current token. */
  next(): Token {
    const token = this.peek();
    if (this.pos < this.tokens.length - 1) this.pos++;
    return token;
  }

  /** The last consumed token (for span ends). */
  previous(): Token {
    return this.tokens[Math.max(0, this.pos - 1)] as Token;
  }

  get position(): number {
    return this.pos;
  }

  /** Goes back to a position taken earlier (bounded lookahead only; never used to retry a whole clause). */
  reset(position: number): void {
    this.pos = position;
  }

  atEnd(): boolean {
    return this.peek().kind === 'eof';
  }

  /** Whether the token `k` ahead is the word `word`, without recording it as expected (optional continuations). */
  atWord(word: string, k = 0): boolean {
    const token = this.peek(k);
    return token.kind === 'word' && token.value === word;
  }

  /** Consumes the word if it is next, without recording it as expected. */
  takeWord(word: string): boolean {
    if (!this.atWord(word)) return false;
    this.next();
    return true;
  }

  atSymbol(symbol: string, k = 0): boolean {
    const token = this.peek(k);
    return token.kind === 'symbol' && token.value === symbol;
  }

  /** Whether the token `k` ahead is the word `word` (upper case). Records the word as expected when k = 0. */
  isWord(word: string, k = 0): boolean {
    const token = this.peek(k);
    if (token.kind === 'word' && token.value === word) return true;
    if (k === 0) this.expect(word);
    return false;
  }

  isSymbol(symbol: string, k = 0): boolean {
    const token = this.peek(k);
    if (token.kind === 'symbol' && token.value === symbol) return true;
    if (k === 0) this.expect(`'${symbol}'`);
    return false;
  }

  /** Consumes the word if it is next. */
  acceptWord(word: string): boolean {
    if (!this.isWord(word)) return false;
    this.next();
    return true;
  }

  /** Consumes the words if they are all next, in order; consumes nothing otherwise. */
  acceptWords(...words: string[]): boolean {
    for (let k = 0; k < words.length; k++) {
      if (!this.isWord(words[k] as string, k)) {
        if (k > 0) this.expect(words.join(' '));
        return false;
      }
    }
    for (const _ of words) this.next();
    return true;
  }

  acceptSymbol(symbol: string): boolean {
    if (!this.isSymbol(symbol)) return false;
    this.next();
    return true;
  }

  expectWord(word: string): Token {
    if (!this.isWord(word)) this.fail();
    return this.next();
  }

  expectWords(...words: string[]): void {
    for (const word of words) this.expectWord(word);
  }

  expectSymbol(symbol: string): Token {
    if (!this.isSymbol(symbol)) this.fail();
    return this.next();
  }

  /** Records what would have been accepted at the current token. */
  expect(what: string): void {
    if (this.expectedAt !== this.pos) {
      this.expectedAt = this.pos;
      this.expected.clear();
    }
    this.expected.add(what);
  }

  /** Whether the current token can be an identifier: a backquoted name or an unreserved word. */
  isIdentifier(k = 0): boolean {
    const token = this.peek(k);
    return token.kind === 'quoted' || (token.kind === 'word' && !RESERVED.has(token.value));
  }

  /** Consumes an identifier if one is next. */
  acceptIdentifier(): Identifier | undefined {
    if (!this.isIdentifier()) {
      this.expect('an identifier');
      return undefined;
    }
    const token = this.next();
    return {
      kind: 'identifier',
      name: token.kind === 'quoted' ? token.value : token.text,
      quoted: token.kind === 'quoted',
      span: token.span,
    };
  }

  identifier(): Identifier {
    return this.acceptIdentifier() ?? this.fail();
  }

  /** `a`, `a.b.c`. */
  qualifiedName(): QualifiedName {
    const parts = [this.identifier()];
    while (this.isSymbol('.') && (this.peek(1).kind === 'quoted' || this.peek(1).kind === 'word')) {
      this.next();
      parts.push(this.nameAfterDot());
    }
    return { kind: 'qualifiedName', parts, span: this.spanFrom((parts[0] as Identifier).span) };
  }

  /** The part after a dot, where reserved words are names too (`t.value`, `r.end`). */
  nameAfterDot(): Identifier {
    const token = this.peek();
    if (token.kind !== 'quoted' && token.kind !== 'word') {
      this.expect('an identifier');
      this.fail();
    }
    this.next();
    return {
      kind: 'identifier',
      name: token.kind === 'quoted' ? token.value : token.text,
      quoted: token.kind === 'quoted',
      span: token.span,
    };
  }

  /** `(a, b, c)`. */
  identifierList(): Identifier[] {
    this.expectSymbol('(');
    const list = [this.identifier()];
    while (this.acceptSymbol(',')) list.push(this.identifier());
    this.expectSymbol(')');
    return list;
  }

  /** A string literal's value. */
  string(): string {
    const token = this.peek();
    if (token.kind !== 'string') {
      this.expect('a string');
      this.fail();
    }
    return this.next().value;
  }

  /** Notes a word taken as an implicit alias (see {@link fail}). */
  noteImplicitAlias(token: Token): void {
    this.implicitAlias = token;
  }

  /** The span from `start` to the end of the last consumed token. */
  spanFrom(start: Span | Token): Span {
    const s = 'span' in start ? start.span : start;
    const end = this.previous().span.end;
    return { start: s.start, end: Math.max(end, s.start), line: s.line, column: s.column };
  }

  /** Throws a SqlError at `span` (or the current token). */
  error(reason: string, span: Span = this.peek().span, suggestion?: string): never {
    throw new SqlError(reason, span, this.text, this.source, suggestion);
  }

  /** Throws "Unexpected X; expected …" for the current token, with the nearest expected keyword as a suggestion. */
  fail(): never {
    const token = this.peek();
    const alias = this.implicitAlias;
    if (alias !== undefined && this.tokens[this.pos - 1] === alias) {
      const keyword = nearestName(alias.value, CLAUSE_KEYWORDS);
      if (keyword !== undefined && keyword !== alias.value) {
        this.error(`Unexpected '${alias.text}'`, alias.span, `Did you mean ${keyword}?`);
      }
    }
    const expected = this.expectedAt === this.pos ? [...this.expected] : [];
    const found =
      token.kind === 'eof'
        ? 'end of input'
        : `'${token.text.length > 40 ? `${token.text.slice(0, 40)}…` : token.text}'`;
    const list = expected.length > 12 ? [...expected.slice(0, 12), '…'] : expected;
    const reason = list.length === 0 ? `Unexpected ${found}` : `Unexpected ${found}; expected ${formatList(list)}`;
    let suggestion: string | undefined;
    if (token.kind === 'word' && token.value.length >= 4) {
      const keywords = expected.filter((e) => /^[A-Z_ ]+$/.test(e));
      const near = nearestName(token.value, keywords);
      if (near !== undefined && near !== token.value) suggestion = `Did you mean ${near}?`;
    }
    return this.error(reason, token.span, suggestion);
  }
}

function formatList(items: readonly string[]): string {
  if (items.length === 1) return items[0] as string;
  return `one of ${items.join(', ')}`;
}
