// Writes deterministic sample events for the examples: JSON Lines {"user","ts","amount"}, out of order by < 5 s.
// Usage: node scripts/generate-events.mjs COUNT USERS SEED > events.jsonl
const [count = 20000, users = 40, seed = 1] = process.argv.slice(2).map(Number);
let state = seed >>> 0 || 1;
const random = () => {
  // xorshift32: small, seedable, good enough for sample data
  state ^= state << 13;
  state ^= state >>> 17;
  state ^= state << 5;
  return (state >>> 0) / 4294967296;
};
const start = Date.UTC(2026, 0, 1);
let clock = start;
const lines = [];
for (let i = 0; i < count; i++) {
  clock += Math.floor(random() * 400);
  const ts = Math.max(start, clock - Math.floor(random() * 4900));
  const user = `user-${Math.floor(random() ** 2 * users)}`;
  const amount = Math.round(random() * 10000) / 100;
  lines.push(JSON.stringify({ user, ts, amount }));
}
process.stdout.write(`${lines.join('\n')}\n`);
