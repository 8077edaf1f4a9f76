/**
 * The shop's functions as a remote function service (stateless: state travels with every invocation):
 *
 *   npx tsx examples/shop/remote.ts --port 8081
 *   npx sluice run examples/shop/app.ts --checkpoint-dir CK -- --port 8080 --stock 1000 --remote http://127.0.0.1:8081
 */
import { parseArgs } from 'node:util';
import { serveFunctions } from 'sluice/statefun';
import { shopFunctions } from './functions.js';

const { values } = parseArgs({
  options: { port: { type: 'string', default: '8081' }, host: { type: 'string' } },
});
const server = await serveFunctions(shopFunctions, { port: Number(values.port), host: values.host });
process.stderr.write(`shop functions: listening on http://${values.host ?? 'localhost'}:${server.port}\n`);
const stop = () => void server.close().then(() => process.exit(0));
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
