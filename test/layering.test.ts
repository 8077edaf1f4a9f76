import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { test } from 'node:test';

/** Keeps the dependency direction of docs/ARCHITECTURE.md: each layer imports only the layers listed for it. */

const src = new URL('../src', import.meta.url).pathname;
const allowed: Record<string, string[]> = {
  core: [],
  state: ['core'],
  functions: ['core', 'state'],
  windowing: ['core', 'state', 'functions'],
  plan: ['core', 'state', 'functions', 'windowing'],
  runtime: ['core', 'state', 'functions', 'windowing', 'plan'],
  connectors: ['core', 'state', 'functions', 'windowing', 'plan', 'runtime'],
  cluster: ['core', 'state', 'functions', 'windowing', 'plan', 'runtime', 'connectors'],
  api: ['core', 'state', 'functions', 'windowing', 'plan', 'runtime', 'connectors'],
  statefun: ['core', 'state', 'functions', 'windowing', 'plan', 'runtime', 'connectors', 'api'],
  testing: ['core', 'state', 'functions', 'windowing', 'plan', 'runtime', 'connectors', 'api'],
  sql: ['core', 'state', 'functions', 'windowing', 'plan', 'runtime', 'connectors', 'api'],
  web: ['core', 'state', 'functions', 'windowing', 'plan', 'runtime', 'connectors', 'api'],
  cli: ['core', 'state', 'functions', 'windowing', 'plan', 'runtime', 'connectors', 'cluster', 'api', 'sql', 'web'],
};

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

test('layers import only the layers below them', () => {
  const violations: string[] = [];
  for (const file of files(src)) {
    const layer = relative(src, file).split('/')[0]!;
    if (!(layer in allowed)) continue;
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/(?:from|import)\s*\(?\s*'(\.[^']+)'/g)) {
      const target = relative(src, resolve(file, '..', m[1]!)).split('/')[0]!;
      if (target !== layer && !allowed[layer]!.includes(target)) {
        violations.push(`${relative(src, file)} imports ${m[1]} (${layer} -> ${target})`);
      }
    }
  }
  assert.deepEqual(violations, []);
});
