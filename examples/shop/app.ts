/**
 * The shop as a Stateful Functions application (see functions.ts and docs/STATEFUN.md):
 *
 *   npx sluice run examples/shop/app.ts --checkpoint-dir CK -- --port 8080 --stock 1000
 *
 * POST /checkout {"orderId","sku","qty","amount"} (with an Idempotency-Key header) answers
 * {"orderId","status":"confirmed"|"rejected","reason"?}; GET /orders/:id and GET /inventory/:sku read the state.
 * With `--remote http://127.0.0.1:8081` the functions run in a separate service started with
 * `npx tsx examples/shop/remote.ts --port 8081`; this process keeps the state.
 *
 * The state API (`GET`/`PUT /statefun/state/shop/<name>/<id>`, which reads and overwrites any instance's state) is
 * off: the ingress port is public. An operator enables it by starting the app with a secret of 16+ characters in
 * STATEFUN_STATE_TOKEN (an environment variable, not an argument: command lines are visible to every local user);
 * requests then need `Authorization: Bearer <that secret>`:
 *
 *   STATEFUN_STATE_TOKEN="$(openssl rand -hex 24)" npx sluice run examples/shop/app.ts --checkpoint-dir CK
 */
import { parseArgs } from 'node:util';
import { defineJob } from 'sluice';
import { StatefulFunctions } from 'sluice/statefun';
import { INVENTORY, shopFunctions, shopRoutes } from './functions.js';

export default defineJob((env, args) => {
  const { values } = parseArgs({
    args: [...args],
    options: {
      port: { type: 'string', default: '8080' },
      host: { type: 'string' },
      stock: { type: 'string', default: '1000' },
      remote: { type: 'string' },
    },
  });
  const stock = Number(values.stock);
  const port = Number(values.port);
  if (!Number.isInteger(stock) || stock < 0)
    throw new Error(`--stock must be a non-negative integer, got ${values.stock}`);
  if (!Number.isInteger(port) || port < 0) throw new Error(`--port must be a port number, got ${values.port}`);

  const app = new StatefulFunctions(env);
  if (values.remote === undefined) app.register(...shopFunctions);
  else app.remote({ url: values.remote, types: ['shop/*'] });
  app.stateDefaults(INVENTORY, { stock });
  const stateToken = process.env.STATEFUN_STATE_TOKEN;
  app.http({
    port,
    host: values.host,
    routes: shopRoutes,
    ...(stateToken === undefined || stateToken === '' ? {} : { stateApi: { token: stateToken } }),
  });
  app.build();
});
