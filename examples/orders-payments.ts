/**
 * Connected keyed streams with shared keyed state: matches each order with its payment. An order is "paid" when a
 * payment for it arrives no earlier than the order and at most 10 minutes (event time) after it, else "unpaid" —
 * reported when those 10 minutes have passed. Payments for unknown orders are dropped. Whichever of an order and its
 * payment arrives first waits in keyed state for the other; an event-time timer ends the wait.
 * Output lines: {"order","status":"paid","amount","delayMs"} or {"order","status":"unpaid","amount"}.
 * Both inputs are out of order by less than 5 s.
 *
 *   npx sluice run examples/orders-payments.ts -- --orders examples/data/orders.jsonl \
 *     --payments examples/data/payments.jsonl --output /tmp/order-status.jsonl
 */
import { parseArgs } from 'node:util';
import {
  type Collector,
  defineJob,
  FileSink,
  FileSource,
  type KeyedContext,
  type KeyedCoProcessFunction,
  type OnTimerContext,
  type RuntimeContext,
  type ValueState,
  valueState,
  WatermarkStrategies,
} from 'sluice';

export interface Order {
  id: string;
  ts: number;
  amount: number;
}
export interface Payment {
  order: string;
  ts: number;
  amount: number;
}
export type OrderStatus =
  | { order: string; status: 'paid'; amount: number; delayMs: number }
  | { order: string; status: 'unpaid'; amount: number };

/** How long after an order its payment may come. */
export const PAYMENT_WINDOW_MS = 10 * 60_000;

/**
 * Keyed by order id. An order waits for its payment until its deadline timer; a payment that comes first waits for
 * its order until the watermark passes the payment's own time: an order placed no later than the payment cannot
 * arrive after that (it would be late).
 */
class MatchPayments implements KeyedCoProcessFunction<string, Order, Payment, OrderStatus> {
  private order!: ValueState<Order>;
  private payment!: ValueState<Payment>;

  open(ctx: RuntimeContext): void {
    this.order = ctx.getState(valueState<Order>('order'));
    this.payment = ctx.getState(valueState<Payment>('payment'));
  }

  processElement1(order: Order, ctx: KeyedContext<string>, out: Collector<OrderStatus>): void {
    const payment = this.payment.value();
    if (payment !== undefined && inWindow(order, payment)) {
      this.paid(order, payment, out);
      ctx.timerService().deleteEventTimeTimer(payment.ts);
      return;
    }
    this.payment.clear();
    this.order.update(order);
    ctx.timerService().registerEventTimeTimer(order.ts + PAYMENT_WINDOW_MS);
  }

  processElement2(payment: Payment, ctx: KeyedContext<string>, out: Collector<OrderStatus>): void {
    const order = this.order.value();
    if (order === undefined) {
      this.payment.update(payment);
      ctx.timerService().registerEventTimeTimer(payment.ts);
    } else if (inWindow(order, payment)) {
      this.paid(order, payment, out);
      ctx.timerService().deleteEventTimeTimer(order.ts + PAYMENT_WINDOW_MS);
    }
    // A payment outside its order's window is ignored: the order's timer reports it unpaid.
  }

  onTimer(time: number, _ctx: OnTimerContext<string>, out: Collector<OrderStatus>): void {
    const order = this.order.value();
    if (order !== undefined && time === order.ts + PAYMENT_WINDOW_MS) {
      out.collect({ order: order.id, status: 'unpaid', amount: order.amount });
      this.order.clear();
    }
    const payment = this.payment.value();
    if (payment !== undefined && time === payment.ts) this.payment.clear();
  }

  private paid(order: Order, payment: Payment, out: Collector<OrderStatus>): void {
    out.collect({ order: order.id, status: 'paid', amount: order.amount, delayMs: payment.ts - order.ts });
    this.order.clear();
    this.payment.clear();
  }
}

const inWindow = (order: Order, payment: Payment) =>
  payment.ts >= order.ts && payment.ts <= order.ts + PAYMENT_WINDOW_MS;

export default defineJob((env, args) => {
  const { values } = parseArgs({
    args: [...args],
    options: { orders: { type: 'string' }, payments: { type: 'string' }, output: { type: 'string' } },
  });
  if (!values.orders || !values.payments || !values.output) {
    throw new Error('usage: orders-payments -- --orders FILE --payments FILE --output FILE');
  }
  const timed = <T extends { ts: number }>() =>
    WatermarkStrategies.forBoundedOutOfOrderness<T>(5_000).withTimestampAssigner((e) => e.ts);
  const orders = env.fromSource(FileSource.jsonLines<Order>(values.orders), timed<Order>());
  const payments = env.fromSource(FileSource.jsonLines<Payment>(values.payments), timed<Payment>());

  orders
    .keyBy((o) => o.id)
    .connect(payments.keyBy((p) => p.order))
    .process(new MatchPayments(), 'match-payments')
    .uid('match-payments')
    .sinkTo(FileSink.jsonLines(values.output));
});
