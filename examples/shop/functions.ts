/**
 * The shop's functions and HTTP routes, shared by the embedded application (app.ts) and the remote function service
 * (remote.ts).
 *
 * A checkout is a saga of three steps, each a request to another function: reserve the stock (shop/inventory, per
 * sku), charge the payment (shop/payments, per order), record the order as confirmed (shop/orders, per order). If a
 * step fails — not enough stock, payment declined (amounts whose cents are 13), the order id already taken — the
 * saga runs the compensations of the steps already done (refund, release the stock) and the checkout is rejected.
 * No compensation code is called by hand: the saga runtime does it.
 */
import {
  address,
  HttpError,
  type HttpRoute,
  type IngressRequest,
  type SagaCall,
  saga,
  statefun,
  value,
} from 'sluice/statefun';

export const CHECKOUT = 'shop/checkout';
export const INVENTORY = 'shop/inventory';
export const ORDERS = 'shop/orders';
export const PAYMENTS = 'shop/payments';

export interface CheckoutRequest {
  orderId: string;
  sku: string;
  qty: number;
  amount: number;
}

export interface Order {
  orderId: string;
  status: 'confirmed' | 'rejected';
  sku: string;
  qty: number;
  amount: number;
  reason?: string;
}

type InventoryMessage = { op: 'reserve'; qty: number } | { op: 'release'; qty: number } | { op: 'get' };
type PaymentMessage = { op: 'charge'; amount: number } | { op: 'refund' };
type OrderMessage =
  | ({ op: 'confirm' } & CheckoutRequest)
  | ({ op: 'reject'; reason: string } & CheckoutRequest)
  | { op: 'get' };

/** Stock per sku. Every sku starts with the stock the application gives as a state default. */
export const inventory = statefun({
  type: INVENTORY,
  state: { stock: value<number>() },
  handle(ctx, msg: InventoryMessage) {
    const stock = ctx.state.stock.get() ?? 0;
    switch (msg.op) {
      case 'reserve':
        if (msg.qty > stock) ctx.fail(`insufficient stock: ${stock} left of ${ctx.self.id}, ${msg.qty} wanted`);
        else ctx.state.stock.set(stock - msg.qty);
        break;
      case 'release':
        ctx.state.stock.set(stock + msg.qty);
        break;
      case 'get':
        ctx.reply({ sku: ctx.self.id, stock });
        break;
    }
  },
});

/**
 * Payments per order: declines amounts whose cents are 13. Stateless here (a real one would call a payment
 * provider, with the order id as its idempotency key); a refund is acknowledged.
 */
export const payments = statefun({
  type: PAYMENTS,
  handle(ctx, msg: PaymentMessage) {
    if (msg.op === 'charge' && Math.round(msg.amount * 100) % 100 === 13) ctx.fail('payment declined');
  },
});

/**
 * Orders per order id: confirmed by the checkout saga's last step, or recorded as rejected. An order id is used
 * once: confirming an existing order fails (so a duplicate checkout compensates and is rejected).
 */
export const orders = statefun({
  type: ORDERS,
  state: { order: value<Order>() },
  handle(ctx, msg: OrderMessage) {
    const existing = ctx.state.order.get();
    switch (msg.op) {
      case 'confirm':
        if (existing !== undefined) ctx.fail(`order ${msg.orderId} exists already`);
        else ctx.state.order.set({ ...orderOf(msg), status: 'confirmed' });
        break;
      case 'reject':
        // Only records an order that does not exist (a checkout rejected as a duplicate leaves the first alone).
        if (existing === undefined) ctx.state.order.set({ ...orderOf(msg), status: 'rejected', reason: msg.reason });
        break;
      case 'get':
        ctx.reply(existing ?? null);
        break;
    }
  },
});

const orderOf = (r: CheckoutRequest) => ({ orderId: r.orderId, sku: r.sku, qty: r.qty, amount: r.amount });

const checkoutSaga = saga<CheckoutRequest>()
  .step('reserve', {
    action: (o): SagaCall => ({ to: address(INVENTORY, o.sku), message: { op: 'reserve', qty: o.qty } }),
    compensate: (o): SagaCall => ({ to: address(INVENTORY, o.sku), message: { op: 'release', qty: o.qty } }),
  })
  .step('pay', {
    action: (o): SagaCall => ({ to: address(PAYMENTS, o.orderId), message: { op: 'charge', amount: o.amount } }),
    compensate: (o): SagaCall => ({ to: address(PAYMENTS, o.orderId), message: { op: 'refund' } }),
  })
  .step('order', {
    action: (o): SagaCall => ({ to: address(ORDERS, o.orderId), message: { op: 'confirm', ...o } }),
  })
  .onCommitted((ctx, o) => ctx.reply({ orderId: o.orderId, status: 'confirmed' }))
  .onAborted((ctx, o, failure) => {
    ctx.send(address(ORDERS, o.orderId), { op: 'reject', ...o, reason: failure.reason });
    ctx.reply({ orderId: o.orderId, status: 'rejected', reason: failure.reason });
  });

/**
 * Checkout per order id: runs the checkout saga. A second checkout of an order id that exists is rejected by the
 * saga's last step (the order exists), after its compensations returned the stock.
 */
export const checkout = statefun({
  type: CHECKOUT,
  sagas: { checkout: checkoutSaga },
  handle(ctx, msg: CheckoutRequest) {
    ctx.saga('checkout', msg);
  },
});

export const shopFunctions = [checkout, inventory, orders, payments];

function checkoutRequest(body: unknown): CheckoutRequest {
  const b = body as Partial<Record<keyof CheckoutRequest, unknown>> | undefined;
  if (b === undefined || b === null || typeof b !== 'object') {
    throw new HttpError(400, 'expected a JSON object {"orderId","sku","qty","amount"}');
  }
  const { orderId, sku, qty, amount } = b;
  if (typeof orderId !== 'string' || orderId === '') throw new HttpError(400, "'orderId' must be a non-empty string");
  if (typeof sku !== 'string' || sku === '') throw new HttpError(400, "'sku' must be a non-empty string");
  if (typeof qty !== 'number' || !Number.isInteger(qty) || qty <= 0) {
    throw new HttpError(400, "'qty' must be a positive integer");
  }
  if (typeof amount !== 'number' || !Number.isFinite(amount) || amount < 0) {
    throw new HttpError(400, "'amount' must be a non-negative number");
  }
  return { orderId, sku, qty, amount };
}

export const shopRoutes: HttpRoute[] = [
  {
    method: 'POST',
    path: '/checkout',
    handle: (req: IngressRequest) => {
      const order = checkoutRequest(req.body);
      return { to: address(CHECKOUT, order.orderId), message: order };
    },
  },
  {
    method: 'GET',
    path: '/orders/:id',
    handle: (req) => ({ to: address(ORDERS, req.params.id!), message: { op: 'get' } }),
    respond: ({ ok, body }, req) => {
      if (!ok) return { status: 500, body: { error: body } };
      if (body === null) return { status: 404, body: { error: `unknown order ${req.params.id}` } };
      const o = body as Order;
      return {
        status: 200,
        body: {
          orderId: o.orderId,
          status: o.status,
          sku: o.sku,
          qty: o.qty,
          ...(o.reason ? { reason: o.reason } : {}),
        },
      };
    },
  },
  {
    method: 'GET',
    path: '/inventory/:sku',
    handle: (req) => ({ to: address(INVENTORY, req.params.sku!), message: { op: 'get' } }),
  },
];
