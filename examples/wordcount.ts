/**
 * Word count: words are maximal runs of Unicode letters, lowercased; the output has one `word<TAB>count` line per
 * distinct word, written when the input ends.
 *
 *   npx sluice run examples/wordcount.ts -- --input examples/data/words.txt --output /tmp/counts.tsv
 */
import { parseArgs } from 'node:util';
import { defineJob, FileSink, FileSource, GlobalWindows } from 'sluice';

const WORD = /\p{L}+/gu;

export default defineJob((env, args) => {
  const { values } = parseArgs({
    args: [...args],
    options: { input: { type: 'string' }, output: { type: 'string' } },
  });
  if (!values.input || !values.output) throw new Error('usage: wordcount -- --input FILE|DIR --output FILE');

  env
    .fromSource(FileSource.text(values.input))
    .flatMap((line: string) => Array.from(line.matchAll(WORD), (m) => m[0].toLowerCase()), 'split-words')
    .keyBy((word) => word)
    // The global window holds a key's whole input; its default trigger fires once, when the input ends.
    .window(GlobalWindows.create())
    .aggregate(
      { createAccumulator: () => 0, add: (_w: string, n: number) => n + 1, getResult: (n) => n },
      {
        process(word, _ctx, [count]) {
          return [`${word}\t${count}`];
        },
      },
    )
    .sinkTo(FileSink.text(values.output));
});
