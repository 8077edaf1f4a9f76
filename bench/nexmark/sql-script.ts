/**
 * The Nexmark benchmark's SQL (bench/nexmark/sql: the reference's ddl_gen.sql, ddl_views.sql and qN.sql) adapted to
 * read the JSON Lines events of `sluice nexmark generate`, as the Flink peer adapts it: the events table becomes a
 * filesystem table with the same nested ROW columns (times as epoch-ms BIGINTs turned into a rowtime), and the views
 * are unchanged but for `auction.expires`, which the file holds in epoch ms too.
 */
import { readFileSync } from 'node:fs';

/** The folder of the benchmark's SQL files. */
export const NEXMARK_SQL_DIR = new URL('./sql/', import.meta.url).pathname;

/** Reads one of the benchmark's SQL files (`'q5.sql'`, `'ddl_views.sql'`, ...). */
export function nexmarkSql(file: string): string {
  return readFileSync(`${NEXMARK_SQL_DIR}${file}`, 'utf8');
}

/** CREATE TABLE `table` over a JSON Lines file of generated events, with the reference's rowtime and watermark. */
export function fileSourceDdl(table: string, path: string): string {
  return `CREATE TABLE ${table} (
    event_type INT,
    person ROW<id BIGINT, name VARCHAR, emailAddress VARCHAR, creditCard VARCHAR, city VARCHAR,
        state VARCHAR, \`dateTime\` BIGINT, extra VARCHAR>,
    auction ROW<id BIGINT, itemName VARCHAR, description VARCHAR, initialBid BIGINT, reserve BIGINT,
        \`dateTime\` BIGINT, expires BIGINT, seller BIGINT, category BIGINT, extra VARCHAR>,
    bid ROW<auction BIGINT, bidder BIGINT, price BIGINT, channel VARCHAR, url VARCHAR,
        \`dateTime\` BIGINT, extra VARCHAR>,
    \`dateTime\` AS CAST(TO_TIMESTAMP_LTZ(
        CASE
            WHEN event_type = 0 THEN person.\`dateTime\`
            WHEN event_type = 1 THEN auction.\`dateTime\`
            ELSE bid.\`dateTime\`
        END, 3) AS TIMESTAMP(3)),
    WATERMARK FOR \`dateTime\` AS \`dateTime\` - INTERVAL '4' SECOND
) WITH (
    'connector' = 'filesystem',
    'path' = '${path.replaceAll("'", "''")}',
    'format' = 'json'
)`;
}

/** The reference's person / auction / bid views over `table` (a file table from {@link fileSourceDdl}). */
export function viewsOverFile(table: string): string {
  return nexmarkSql('ddl_views.sql')
    .replaceAll(['$', '{NEXMARK_TABLE}'].join(''), table)
    .replace('auction.expires,', 'CAST(TO_TIMESTAMP_LTZ(auction.expires, 3) AS TIMESTAMP(3)) AS expires,');
}
