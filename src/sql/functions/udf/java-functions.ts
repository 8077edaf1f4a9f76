import { SqlTypes } from '../../types/type-factory.js';
import type { UserFunctionOptions } from './user-function.js';

/**
 * Java UDF classes Sluice provides a TypeScript implementation of, so scripts written for Flink run unchanged
 * (`CREATE FUNCTION count_char AS 'com.github.nexmark.flink.udf.CountChar'`, Nexmark q14).
 */
export const JAVA_CLASS_FUNCTIONS: ReadonlyMap<
  string,
  { readonly value: unknown; readonly options: UserFunctionOptions }
> = new Map([
  [
    'com.github.nexmark.flink.udf.CountChar',
    {
      /** Nexmark's CountChar: how many characters of `s` equal the first character of `c`. */
      value: (s: string, c: string): number => {
        if (c.length === 0) return 0;
        const ch = c.charCodeAt(0);
        let count = 0;
        for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) === ch) count++;
        return count;
      },
      options: { returns: SqlTypes.bigint(true), params: [SqlTypes.string(), SqlTypes.string()] },
    },
  ],
]);
