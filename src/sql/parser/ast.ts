/**
 * The typed syntax tree of Sluice's SQL dialect (Flink SQL). The parser produces it, the binder reads it; nothing
 * else depends on the text. Every node carries the span of source text it came from, so errors can point at it.
 *
 * Identifiers keep the case they were written in; `quoted` tells whether they were written in backquotes. Names
 * compare case-sensitively for columns (as Flink does) and case-insensitively for keywords and built-in functions.
 */

/** A range of the source text: offsets into the text and the 1-based line and column of its first character. */
export interface Span {
  readonly start: number;
  readonly end: number;
  readonly line: number;
  readonly column: number;
}

export interface Identifier {
  readonly kind: 'identifier';
  readonly name: string;
  readonly quoted: boolean;
  readonly span: Span;
}

/** `a`, `t.a`, `catalog.db.t`: the parts in order. */
export interface QualifiedName {
  readonly kind: 'qualifiedName';
  readonly parts: readonly Identifier[];
  readonly span: Span;
}

// ---------------------------------------------------------------------------------------------------------------
// Types as written in DDL and CAST.

export type TypeName =
  | {
      readonly kind: 'simpleType';
      readonly name: SimpleTypeName;
      readonly args: readonly number[];
      readonly nullable: boolean;
      readonly span: Span;
    }
  | {
      readonly kind: 'rowType';
      readonly fields: readonly RowTypeField[];
      readonly nullable: boolean;
      readonly span: Span;
    }
  | { readonly kind: 'arrayType'; readonly element: TypeName; readonly nullable: boolean; readonly span: Span }
  | {
      readonly kind: 'mapType';
      readonly key: TypeName;
      readonly value: TypeName;
      readonly nullable: boolean;
      readonly span: Span;
    }
  | { readonly kind: 'multisetType'; readonly element: TypeName; readonly nullable: boolean; readonly span: Span }
  | {
      readonly kind: 'intervalType';
      readonly from: IntervalUnit;
      readonly to?: IntervalUnit;
      readonly nullable: boolean;
      readonly span: Span;
    };

/**
 * Upper-cased type names. Synonyms are normalised by the parser: INTEGER → INT, DEC/NUMERIC → DECIMAL,
 * `DOUBLE PRECISION` → DOUBLE, `CHARACTER VARYING` → VARCHAR, `TIMESTAMP WITH LOCAL TIME ZONE` → TIMESTAMP_LTZ,
 * `TIMESTAMP WITHOUT TIME ZONE` → TIMESTAMP. `args` holds length / precision / scale as written.
 */
export type SimpleTypeName =
  | 'BOOLEAN'
  | 'TINYINT'
  | 'SMALLINT'
  | 'INT'
  | 'BIGINT'
  | 'FLOAT'
  | 'DOUBLE'
  | 'DECIMAL'
  | 'CHAR'
  | 'VARCHAR'
  | 'STRING'
  | 'BINARY'
  | 'VARBINARY'
  | 'BYTES'
  | 'DATE'
  | 'TIME'
  | 'TIMESTAMP'
  | 'TIMESTAMP_LTZ'
  | 'NULL';

export interface RowTypeField {
  readonly name: Identifier;
  readonly type: TypeName;
  readonly comment?: string;
}

export type IntervalUnit = 'YEAR' | 'MONTH' | 'DAY' | 'HOUR' | 'MINUTE' | 'SECOND' | 'MILLISECOND';

// ---------------------------------------------------------------------------------------------------------------
// Expressions.

export type Expression =
  | ColumnRef
  | Literal
  | IntervalLiteral
  | BinaryExpression
  | UnaryExpression
  | FunctionCall
  | CaseExpression
  | CastExpression
  | BetweenExpression
  | InListExpression
  | InSubqueryExpression
  | ExistsExpression
  | ScalarSubquery
  | IsExpression
  | LikeExpression
  | FieldAccess
  | ItemAccess
  | RowConstructor
  | ArrayConstructor
  | MapConstructor
  | Star
  | ParameterlessTimeFunction;

/** A column, possibly qualified by a table alias: `price`, `B.price`. */
export interface ColumnRef {
  readonly kind: 'columnRef';
  readonly name: QualifiedName;
  readonly span: Span;
}

export interface Literal {
  readonly kind: 'literal';
  /** number literals keep their text so DECIMAL vs DOUBLE (`1.5` vs `1.5E0`) and BIGINT overflow can be decided. */
  readonly type:
    | 'string'
    | 'integer'
    | 'decimal'
    | 'double'
    | 'boolean'
    | 'null'
    | 'date'
    | 'time'
    | 'timestamp'
    | 'binary';
  /** For strings the unescaped value; for numbers, dates, times and timestamps the text as written. */
  readonly value: string;
  readonly span: Span;
}

/** `INTERVAL '4' SECOND`, `INTERVAL '1:30' MINUTE TO SECOND`, `INTERVAL '10' SECONDS` (plural accepted). */
export interface IntervalLiteral {
  readonly kind: 'interval';
  readonly value: string;
  readonly negative: boolean;
  readonly from: IntervalUnit;
  readonly to?: IntervalUnit;
  readonly span: Span;
}

/** Operators upper-cased: arithmetic, comparison (`<>` and `!=` both → `<>`), AND, OR, `||`, IS [NOT] DISTINCT FROM. */
export type BinaryOperator =
  | '+'
  | '-'
  | '*'
  | '/'
  | '%'
  | '='
  | '<>'
  | '<'
  | '<='
  | '>'
  | '>='
  | 'AND'
  | 'OR'
  | '||'
  | 'IS DISTINCT FROM'
  | 'IS NOT DISTINCT FROM';

export interface BinaryExpression {
  readonly kind: 'binary';
  readonly operator: BinaryOperator;
  readonly left: Expression;
  readonly right: Expression;
  readonly span: Span;
}

export interface UnaryExpression {
  readonly kind: 'unary';
  readonly operator: 'NOT' | '-' | '+';
  readonly operand: Expression;
  readonly span: Span;
}

/**
 * A call: `UPPER(x)`, `COUNT(*)` (args = [Star]), `COUNT(DISTINCT a)`, `SUM(x) FILTER (WHERE c)`,
 * `ROW_NUMBER() OVER (...)`, `HOP(TABLE bid, DESCRIPTOR(ts), ...)` inside FROM is a TableFunctionRef instead.
 * Special syntaxes are desugared by the parser into calls with upper-cased names:
 * `EXTRACT(HOUR FROM ts)` → EXTRACT(literal 'HOUR', ts); `POSITION(a IN b)` → POSITION(a, b);
 * `TRIM(BOTH 'x' FROM s)` → TRIM(literal 'BOTH', literal 'x', s); `SUBSTRING(s FROM 2 FOR 3)` → SUBSTRING(s, 2, 3);
 * `TIMESTAMPADD(unit, n, t)` / `TIMESTAMPDIFF(unit, a, b)` keep the unit as a string literal first argument;
 * `OVERLAY`, `CEIL(x TO unit)` / `FLOOR(x TO unit)` → name with the unit as a string literal last argument.
 */
export interface FunctionCall {
  readonly kind: 'call';
  /** As written (case kept); the binder resolves built-ins case-insensitively and user functions by their name. */
  readonly name: QualifiedName;
  readonly args: readonly Expression[];
  readonly distinct: boolean;
  readonly filter?: Expression;
  readonly over?: WindowSpec | Identifier;
  readonly span: Span;
}

/** `OVER (PARTITION BY ... ORDER BY ... ROWS|RANGE BETWEEN ... AND ...)`, or a reference to a named WINDOW. */
export interface WindowSpec {
  readonly kind: 'windowSpec';
  readonly partitionBy: readonly Expression[];
  readonly orderBy: readonly OrderItem[];
  readonly frame?: WindowFrame;
  readonly span: Span;
}

export interface WindowFrame {
  readonly unit: 'ROWS' | 'RANGE';
  readonly start: FrameBound;
  /** Absent for the short form `ROWS 5 PRECEDING` (= BETWEEN 5 PRECEDING AND CURRENT ROW). */
  readonly end?: FrameBound;
}

export type FrameBound =
  | { readonly kind: 'unboundedPreceding' }
  | { readonly kind: 'currentRow' }
  | { readonly kind: 'unboundedFollowing' }
  | { readonly kind: 'preceding'; readonly offset: Expression }
  | { readonly kind: 'following'; readonly offset: Expression };

export interface CaseExpression {
  readonly kind: 'case';
  /** `CASE x WHEN 1 THEN ...`: the operand; absent for searched CASE. */
  readonly operand?: Expression;
  readonly whens: readonly { readonly when: Expression; readonly then: Expression }[];
  readonly else?: Expression;
  readonly span: Span;
}

export interface CastExpression {
  readonly kind: 'cast';
  readonly expression: Expression;
  readonly type: TypeName;
  /** TRY_CAST returns null instead of failing. */
  readonly try: boolean;
  readonly span: Span;
}

export interface BetweenExpression {
  readonly kind: 'between';
  readonly expression: Expression;
  readonly low: Expression;
  readonly high: Expression;
  readonly negated: boolean;
  readonly symmetric: boolean;
  readonly span: Span;
}

export interface InListExpression {
  readonly kind: 'inList';
  readonly expression: Expression;
  readonly list: readonly Expression[];
  readonly negated: boolean;
  readonly span: Span;
}

export interface InSubqueryExpression {
  readonly kind: 'inSubquery';
  readonly expression: Expression;
  readonly query: Query;
  readonly negated: boolean;
  readonly span: Span;
}

export interface ExistsExpression {
  readonly kind: 'exists';
  readonly query: Query;
  readonly negated: boolean;
  readonly span: Span;
}

export interface ScalarSubquery {
  readonly kind: 'scalarSubquery';
  readonly query: Query;
  readonly span: Span;
}

/** `x IS [NOT] NULL | TRUE | FALSE | UNKNOWN`. */
export interface IsExpression {
  readonly kind: 'is';
  readonly expression: Expression;
  readonly test: 'NULL' | 'TRUE' | 'FALSE' | 'UNKNOWN';
  readonly negated: boolean;
  readonly span: Span;
}

/** `a [NOT] LIKE b [ESCAPE c]` and `a [NOT] SIMILAR TO b`. */
export interface LikeExpression {
  readonly kind: 'like';
  readonly operator: 'LIKE' | 'SIMILAR TO';
  readonly expression: Expression;
  readonly pattern: Expression;
  readonly escape?: Expression;
  readonly negated: boolean;
  readonly span: Span;
}

/**
 * `(expr).field`. A dotted name such as `person.id` or `B.person.id` is parsed as a ColumnRef with several parts;
 * the binder decides which prefix is a table alias, a column and a nested field. FieldAccess is only for a field of
 * a parenthesised or computed expression.
 */
export interface FieldAccess {
  readonly kind: 'fieldAccess';
  readonly expression: Expression;
  readonly field: Identifier;
  readonly span: Span;
}

/** `arr[1]`, `map['k']`. */
export interface ItemAccess {
  readonly kind: 'item';
  readonly expression: Expression;
  readonly index: Expression;
  readonly span: Span;
}

/** `ROW(a, b)` or `(a, b)` in a context where a row is meant. */
export interface RowConstructor {
  readonly kind: 'row';
  readonly fields: readonly Expression[];
  readonly span: Span;
}

export interface ArrayConstructor {
  readonly kind: 'array';
  readonly elements: readonly Expression[];
  readonly span: Span;
}

export interface MapConstructor {
  readonly kind: 'map';
  readonly entries: readonly { readonly key: Expression; readonly value: Expression }[];
  readonly span: Span;
}

/** `*` or `t.*` in a select list, or the `*` of `COUNT(*)`. */
export interface Star {
  readonly kind: 'star';
  readonly qualifier?: QualifiedName;
  readonly span: Span;
}

/** CURRENT_TIMESTAMP, CURRENT_DATE, CURRENT_TIME, LOCALTIME, LOCALTIMESTAMP, CURRENT_ROW_TIMESTAMP (no parentheses). */
export interface ParameterlessTimeFunction {
  readonly kind: 'timeFunction';
  readonly name: 'CURRENT_TIMESTAMP' | 'CURRENT_DATE' | 'CURRENT_TIME' | 'LOCALTIME' | 'LOCALTIMESTAMP';
  readonly span: Span;
}

// ---------------------------------------------------------------------------------------------------------------
// Queries.

export type Query = Select | SetOperation | ValuesQuery | WithQuery;

export interface WithQuery {
  readonly kind: 'with';
  readonly ctes: readonly {
    readonly name: Identifier;
    readonly columns?: readonly Identifier[];
    readonly query: Query;
  }[];
  readonly body: Query;
  readonly span: Span;
}

export interface Select {
  readonly kind: 'select';
  readonly distinct: boolean;
  readonly items: readonly SelectItem[];
  /** Absent for `SELECT 1`. Comma-separated FROM items are a cross join chain. */
  readonly from?: TableRef;
  readonly where?: Expression;
  readonly groupBy?: GroupBy;
  readonly having?: Expression;
  /** Named windows: `WINDOW w AS (PARTITION BY ...)`. */
  readonly windows?: readonly { readonly name: Identifier; readonly spec: WindowSpec }[];
  readonly orderBy?: readonly OrderItem[];
  readonly limit?: Expression;
  readonly offset?: Expression;
  readonly span: Span;
}

export interface SelectItem {
  readonly expression: Expression;
  readonly alias?: Identifier;
  readonly span: Span;
}

/** Plain expressions, plus GROUPING SETS / ROLLUP / CUBE as written. */
export interface GroupBy {
  readonly items: readonly GroupingItem[];
  readonly span: Span;
}

export type GroupingItem =
  | { readonly kind: 'expression'; readonly expression: Expression }
  | { readonly kind: 'groupingSets'; readonly sets: readonly (readonly Expression[])[] }
  | { readonly kind: 'rollup'; readonly expressions: readonly Expression[] }
  | { readonly kind: 'cube'; readonly expressions: readonly Expression[] };

export interface OrderItem {
  readonly expression: Expression;
  readonly descending: boolean;
  readonly nullsFirst?: boolean;
  readonly span: Span;
}

export interface SetOperation {
  readonly kind: 'setOperation';
  readonly operator: 'UNION' | 'INTERSECT' | 'EXCEPT';
  readonly all: boolean;
  readonly left: Query;
  readonly right: Query;
  /** ORDER BY / LIMIT written after the whole set operation. */
  readonly orderBy?: readonly OrderItem[];
  readonly limit?: Expression;
  readonly span: Span;
}

export interface ValuesQuery {
  readonly kind: 'values';
  readonly rows: readonly (readonly Expression[])[];
  readonly span: Span;
}

export type TableRef =
  | NamedTableRef
  | SubqueryTableRef
  | TableFunctionRef
  | JoinTableRef
  | LateralTableRef
  | UnnestTableRef;

/** `bid`, `bid AS B`, `bid B (c1, c2)`, `rates FOR SYSTEM_TIME AS OF o.proctime AS r`, hints ignored. */
export interface NamedTableRef {
  readonly kind: 'table';
  readonly name: QualifiedName;
  readonly alias?: Identifier;
  readonly columnAliases?: readonly Identifier[];
  /** `FOR SYSTEM_TIME AS OF expr`: a temporal (versioned) or lookup join's right side. */
  readonly systemTimeAsOf?: Expression;
  readonly span: Span;
}

export interface SubqueryTableRef {
  readonly kind: 'subquery';
  readonly query: Query;
  readonly alias?: Identifier;
  readonly columnAliases?: readonly Identifier[];
  readonly span: Span;
}

/**
 * `TABLE(TUMBLE(TABLE bid, DESCRIPTOR(ts), INTERVAL '10' SECOND))` and the other window TVFs (HOP, CUMULATE,
 * SESSION), also with named arguments (`DATA => TABLE bid, TIMECOL => DESCRIPTOR(ts), SIZE => ...`) and SESSION's
 * `TABLE bid PARTITION BY k`. `name` upper-cased.
 */
export interface TableFunctionRef {
  readonly kind: 'tableFunction';
  readonly name: string;
  readonly args: readonly TableFunctionArg[];
  readonly alias?: Identifier;
  readonly columnAliases?: readonly Identifier[];
  readonly span: Span;
}

export type TableFunctionArg =
  | {
      readonly kind: 'tableArg';
      readonly name?: string;
      readonly table: TableRef;
      readonly partitionBy?: readonly Expression[];
    }
  | { readonly kind: 'descriptorArg'; readonly name?: string; readonly columns: readonly Identifier[] }
  | { readonly kind: 'expressionArg'; readonly name?: string; readonly expression: Expression };

export interface JoinTableRef {
  readonly kind: 'join';
  readonly joinType: 'INNER' | 'LEFT' | 'RIGHT' | 'FULL' | 'CROSS';
  readonly left: TableRef;
  readonly right: TableRef;
  readonly on?: Expression;
  readonly using?: readonly Identifier[];
  readonly span: Span;
}

/** `LATERAL TABLE(f(a, b)) [AS] t (c1, c2)`: a user table function (generator), in a cross or left join. */
export interface LateralTableRef {
  readonly kind: 'lateral';
  readonly call: FunctionCall;
  readonly alias?: Identifier;
  readonly columnAliases?: readonly Identifier[];
  readonly span: Span;
}

/** `CROSS JOIN UNNEST(arr) AS t (x)`. */
export interface UnnestTableRef {
  readonly kind: 'unnest';
  readonly expressions: readonly Expression[];
  readonly withOrdinality: boolean;
  readonly alias?: Identifier;
  readonly columnAliases?: readonly Identifier[];
  readonly span: Span;
}

// ---------------------------------------------------------------------------------------------------------------
// Statements.

export type Statement =
  | CreateTable
  | CreateView
  | CreateFunction
  | DropStatement
  | SetStatement
  | ResetStatement
  | InsertStatement
  | StatementSet
  | QueryStatement
  | ExplainStatement
  | ShowStatement
  | DescribeStatement
  | UseStatement;

export interface CreateTable {
  readonly kind: 'createTable';
  readonly name: QualifiedName;
  readonly temporary: boolean;
  readonly ifNotExists: boolean;
  readonly columns: readonly TableColumn[];
  readonly watermark?: { readonly column: QualifiedName; readonly expression: Expression; readonly span: Span };
  readonly primaryKey?: { readonly columns: readonly Identifier[]; readonly enforced: boolean; readonly span: Span };
  readonly comment?: string;
  readonly partitionedBy?: readonly Identifier[];
  /** `LIKE other (options...)`: copies the other table's columns; rare, kept as written. */
  readonly like?: QualifiedName;
  /** The WITH options in order; keys and values as unescaped strings. */
  readonly options: readonly { readonly key: string; readonly value: string; readonly span: Span }[];
  readonly span: Span;
}

export type TableColumn =
  | {
      readonly kind: 'physical';
      readonly name: Identifier;
      readonly type: TypeName;
      readonly primaryKey: boolean;
      readonly comment?: string;
      readonly span: Span;
    }
  /** `ts AS expr`. */
  | {
      readonly kind: 'computed';
      readonly name: Identifier;
      readonly expression: Expression;
      readonly comment?: string;
      readonly span: Span;
    }
  /** `ts TIMESTAMP_LTZ(3) METADATA [FROM 'timestamp'] [VIRTUAL]`. */
  | {
      readonly kind: 'metadata';
      readonly name: Identifier;
      readonly type: TypeName;
      readonly from?: string;
      readonly virtual: boolean;
      readonly span: Span;
    };

export interface CreateView {
  readonly kind: 'createView';
  readonly name: QualifiedName;
  readonly temporary: boolean;
  readonly ifNotExists: boolean;
  readonly columns?: readonly Identifier[];
  readonly query: Query;
  readonly span: Span;
}

/**
 * `CREATE [TEMPORARY] [SYSTEM] FUNCTION [IF NOT EXISTS] name[(a BIGINT, b STRING) RETURNS STRING]
 *  AS 'class.or.module#export' | $$ body $$ [LANGUAGE JAVASCRIPT|TYPESCRIPT|JAVA]`.
 */
export interface CreateFunction {
  readonly kind: 'createFunction';
  readonly name: QualifiedName;
  readonly temporary: boolean;
  /** `CREATE [TEMPORARY] SYSTEM FUNCTION`: a function without catalog or database. */
  readonly system?: boolean;
  readonly ifNotExists: boolean;
  readonly parameters?: readonly { readonly name: Identifier; readonly type: TypeName }[];
  readonly returns?: TypeName;
  /** The text inside `$$ … $$` (inline) or the string literal (a module reference or a Java class name). */
  readonly body: string;
  readonly bodyKind: 'inline' | 'reference';
  /** Upper-cased; absent when not written. */
  readonly language?: string;
  /** Where `body` starts in the source text, so errors inside an inline body can be mapped back. */
  readonly bodySpan: Span;
  readonly span: Span;
}

export interface DropStatement {
  readonly kind: 'drop';
  readonly object: 'TABLE' | 'VIEW' | 'FUNCTION';
  readonly name: QualifiedName;
  readonly ifExists: boolean;
  readonly span: Span;
}

/** `SET 'key' = 'value'`; `SET` alone lists the settings. */
export interface SetStatement {
  readonly kind: 'set';
  readonly key?: string;
  readonly value?: string;
  readonly span: Span;
}

export interface ResetStatement {
  readonly kind: 'reset';
  readonly key?: string;
  readonly span: Span;
}

export interface InsertStatement {
  readonly kind: 'insert';
  readonly table: QualifiedName;
  readonly overwrite: boolean;
  readonly columns?: readonly Identifier[];
  readonly query: Query;
  readonly span: Span;
}

/** `EXECUTE STATEMENT SET BEGIN INSERT ...; INSERT ...; END` (also `BEGIN STATEMENT SET; ... END;`). */
export interface StatementSet {
  readonly kind: 'statementSet';
  readonly inserts: readonly InsertStatement[];
  readonly span: Span;
}

export interface QueryStatement {
  readonly kind: 'query';
  readonly query: Query;
  readonly span: Span;
}

/** `EXPLAIN [PLAN FOR] statement` (also `EXPLAIN CHANGELOG_MODE, ...` details are accepted and listed). */
export interface ExplainStatement {
  readonly kind: 'explain';
  readonly details: readonly string[];
  readonly statement: InsertStatement | QueryStatement | StatementSet;
  readonly span: Span;
}

export interface ShowStatement {
  readonly kind: 'show';
  readonly what:
    | 'TABLES'
    | 'VIEWS'
    | 'FUNCTIONS'
    | 'USER FUNCTIONS'
    | 'CATALOGS'
    | 'DATABASES'
    | 'CREATE TABLE'
    | 'CREATE VIEW'
    | 'JOBS';
  readonly name?: QualifiedName;
  readonly span: Span;
}

export interface DescribeStatement {
  readonly kind: 'describe';
  readonly name: QualifiedName;
  readonly span: Span;
}

export interface UseStatement {
  readonly kind: 'use';
  readonly catalog: boolean;
  readonly name: QualifiedName;
  readonly span: Span;
}

/** A parsed script: the statements in order, each with the source text it came from. */
export interface Script {
  readonly statements: readonly Statement[];
  readonly text: string;
  readonly source: string;
}
