// The paper broker: the Broker interface over the append-only ledger. Market orders placed when a
// symbol's last bar is bar t fill at bar t+1's open, priced by the backtests' cost model
// (costs.ts: slippage against the order, commission on notional). Settlement is lazy: every action
// first books the fills whose next bar has arrived, in placement order; reads show them unbooked.
import type { Clock } from '../../context.js';
import { InputError } from '../../errors.js';
import { commission, defaultCosts, fillPrice, type CostModel } from '../costs.js';
import { barCount, barDate, type Bars, type BarSource } from '../market/bars.js';
import type { Account, Broker, Order, OrderRequest, OrderStatus, Position } from './broker.js';
import type { PaperEvent, PaperEventInput } from './paper-events.js';
import { ledgerDamaged, paperLedgerFile, PaperLedger, type LedgerRead } from './paper-ledger.js';
import { equityAt, limitProblem, projectPending } from './paper-limits.js';
import { applyEvent, replay, type OrderState, type PaperState } from './paper-state.js';
import { accountOf, orderView } from './paper-views.js';

export const defaultInitialCash = 100_000;
/** Per order; larger is a typo, not a paper trade. */
export const maxOrderUnits = 1e9;

export interface PaperBrokerOptions {
  dataDir: string;
  bars: BarSource;
  clock?: Clock;
  /** The cost model and cash an account opens with; an open account keeps those it was opened with. */
  costs?: CostModel;
  initialCash?: number;
  signal?: AbortSignal;
}

/**
 * The paper account's spelling of a symbol: upper case. Bar files match symbols case-insensitively,
 * so "spx" and "SPX" are one instrument and must be one position.
 */
export function paperSymbol(symbol: string): string {
  return symbol.toUpperCase();
}

/** A target position as a signed share of equity: 0.5 is long half the equity, -0.2 short a fifth. */
export interface TargetWeight {
  symbol: string;
  weight: number;
  allowShort?: boolean;
}

export interface PaperView {
  state: PaperState;
  marks: Map<string, { price: number; bar: string }>;
  /** Fills and rejections due (their next bar exists) that the next action will book. */
  unbooked: Order[];
  ledger: { file: string; events: number; tornBytes: number };
}

/** One read-decide-append step: the state with this step's events applied, and the bars it read. */
class Step {
  readonly events: PaperEvent[] = [];
  readonly closed: string[] = [];
  private readonly bars = new Map<string, Bars>();

  constructor(
    readonly state: PaperState,
    private readonly source: BarSource,
    private readonly now: () => string,
    private readonly signal?: AbortSignal,
  ) {}

  emit(input: PaperEventInput): PaperEvent {
    const event = { ...input, seq: this.state.lastSeq + 1, time: this.now() } as PaperEvent;
    applyEvent(this.state, event);
    this.events.push(event);
    return event;
  }

  async barsFor(symbol: string, field: string): Promise<Bars> {
    const known = this.bars.get(symbol);
    if (known) return known;
    let bars: Bars;
    try {
      bars = await this.source(symbol, this.signal);
    } catch (error) {
      if (error instanceof InputError) throw new InputError(field, error.message.replace(/^symbol: /, ''));
      throw error;
    }
    if (barCount(bars) === 0) throw new InputError(field, `"${symbol}" has no bars; import its data first`);
    this.bars.set(symbol, bars);
    return bars;
  }

  /** The last close of every symbol held or pending (and of `extra`), for marks and limits. */
  async marks(extra: string[] = []): Promise<Map<string, { price: number; bar: string }>> {
    const symbols = new Set([...this.state.positions.keys(), ...extra]);
    for (const order of this.state.orders.values()) if (order.status === 'pending') symbols.add(order.symbol);
    const marks = new Map<string, { price: number; bar: string }>();
    for (const symbol of symbols) {
      const bars = await this.barsFor(symbol, 'symbol').catch((error: unknown) => {
        // A held symbol whose data went away is marked at cost rather than making the account unreadable.
        if (error instanceof InputError && !extra.includes(symbol)) return undefined;
        throw error;
      });
      if (!bars) continue;
      const last = barCount(bars) - 1;
      marks.set(symbol, { price: bars.close[last]!, bar: barDate(bars.time[last]!) });
    }
    return marks;
  }
}

export class PaperBroker implements Broker {
  readonly ledger: PaperLedger;
  private readonly clock: Clock;
  private readonly costs: CostModel;
  private readonly initialCash: number;

  constructor(private readonly options: PaperBrokerOptions) {
    this.ledger = new PaperLedger(paperLedgerFile(options.dataDir));
    this.clock = options.clock ?? { now: () => Date.now() };
    this.costs = options.costs ?? defaultCosts;
    this.initialCash = options.initialCash ?? defaultInitialCash;
  }

  // --- Broker -----------------------------------------------------------------------------------

  async placeOrder(request: OrderRequest): Promise<Order> {
    return (await this.submit([request])).orders[0]!;
  }

  async cancelOrder(id: string): Promise<Order> {
    const { value } = await this.transact(async (step) => {
      const order = step.state.orders.get(id);
      if (!order) throw new InputError('id', `no paper order "${id}"; list them with trading_paper_account`);
      if (order.status === 'pending')
        step.emit({ type: 'order_cancelled', orderId: id, reason: 'cancelled by request' });
      return order;
    });
    return orderView(value);
  }

  async cancelAll(symbol?: string): Promise<Order[]> {
    return (await this.cancelPending(symbol)).cancelled;
  }

  async orders(filter: { status?: OrderStatus; limit?: number } = {}): Promise<Order[]> {
    const { state } = await this.view();
    const all = [...state.orders.values()].filter((o) => !filter.status || o.status === filter.status);
    return all.slice(-(filter.limit ?? all.length)).map(orderView);
  }

  async positions(): Promise<Position[]> {
    return (await this.account()).positions;
  }

  async account(): Promise<Account> {
    return accountOf(await this.view());
  }

  // --- paper actions (each settles first and reports what settlement booked) ---------------------

  /** Places market orders for units, in the order given. */
  async submit(requests: OrderRequest[], field = 'symbol'): Promise<{ orders: Order[]; settled: Order[] }> {
    const { value, settled } = await this.transact(async (step) => {
      const placed: OrderState[] = [];
      for (const request of requests)
        placed.push(await this.place(step, { ...request, symbol: paperSymbol(request.symbol) }, field));
      return placed;
    });
    return { orders: value.map(orderView), settled };
  }

  /**
   * Orders that move each symbol to its target weight of equity, sized in whole units at the last
   * close plus slippage and commission (so that weights adding up to 1 still fit the cash), from the
   * position plus what is pending. Orders that reduce exposure go first, so that their cash is there
   * when the others fill.
   */
  async submitTargets(
    targets: TargetWeight[],
    note?: string,
    field = 'signals',
  ): Promise<{ orders: Order[]; settled: Order[]; sizing: { symbol: string; current: number; target: number }[] }> {
    targets = targets.map((target) => ({ ...target, symbol: paperSymbol(target.symbol) }));
    const { value, settled } = await this.transact(async (step) => {
      for (const [index, target] of targets.entries()) await step.barsFor(target.symbol, `${field}.${index}.symbol`);
      const marks = prices(await step.marks(targets.map((target) => target.symbol)));
      const projected = projectPending(step.state, marks);
      const equity = equityAt(projected, marks);
      const sizing = targets.map((target) => {
        const current = projected.positions.get(target.symbol)?.quantity ?? 0;
        const price = sizingPrice(marks.get(target.symbol)!, step.state.costs);
        const goal = equity > 0 ? Math.trunc((target.weight * equity) / price) : 0;
        return { ...target, current, target: goal, delta: goal - current };
      });
      const reducing = (s: (typeof sizing)[number]) => Math.abs(s.target) < Math.abs(s.current);
      const ordered = [...sizing.filter(reducing), ...sizing.filter((s) => !reducing(s))];
      const placed: OrderState[] = [];
      for (const s of ordered) {
        if (Math.abs(s.delta) < 1e-9) continue;
        const request = { symbol: s.symbol, side: s.delta > 0 ? 'buy' : 'sell', quantity: Math.abs(s.delta) } as const;
        placed.push(await this.place(step, { ...request, allowShort: s.allowShort, note }, field, s.weight));
      }
      return { placed, sizing: sizing.map(({ symbol, current, target }) => ({ symbol, current, target })) };
    });
    return { orders: value.placed.map(orderView), settled, sizing: value.sizing };
  }

  async cancelPending(symbol?: string): Promise<{ cancelled: Order[]; settled: Order[] }> {
    if (symbol) symbol = paperSymbol(symbol);
    const { value, settled } = await this.transact(async (step) => {
      const cancelled: OrderState[] = [];
      for (const order of step.state.orders.values()) {
        if (order.status !== 'pending' || (symbol && order.symbol !== symbol)) continue;
        step.emit({ type: 'order_cancelled', orderId: order.id, reason: 'cancelled by cancel all' });
        cancelled.push(order);
      }
      return cancelled;
    });
    return { cancelled: value.map(orderView), settled };
  }

  /** Books every due fill now. */
  async settle(): Promise<Order[]> {
    return (await this.transact(async () => undefined)).settled;
  }

  /** The ledger's state with due fills applied in memory only: what a read-only tool reports. */
  async view(): Promise<PaperView> {
    const read = await this.ledger.read(this.options.signal);
    // Fail closed: an account replayed from the events before the damage would be a wrong account.
    if (read.damage) throw ledgerDamaged(this.ledger.file, read);
    const step = this.step(read);
    await this.settleDue(step);
    return {
      state: step.state,
      marks: await step.marks(),
      unbooked: step.closed.map((id) => orderView(step.state.orders.get(id)!)),
      ledger: ledgerInfo(this.ledger.file, read),
    };
  }

  // --- inside one ledger update ------------------------------------------------------------------

  private async transact<T>(act: (step: Step) => Promise<T>): Promise<{ value: T; settled: Order[] }> {
    return this.ledger.update(async (read) => {
      const step = this.step(read);
      if (!step.state.opened) step.emit({ type: 'account_opened', cash: this.initialCash, costs: this.costs });
      await this.settleDue(step);
      const settled = step.closed.map((id) => orderView(step.state.orders.get(id)!));
      const value = await act(step);
      // Opening an account is not worth a write on its own (a cancel on an empty ledger).
      const append = step.events.length === 1 && step.events[0]!.type === 'account_opened' ? [] : step.events;
      return { append, result: { value, settled } };
    }, this.options.signal);
  }

  private step(read: LedgerRead): Step {
    const state = replay(read.events, this.initialCash, this.costs);
    return new Step(state, this.options.bars, () => new Date(this.clock.now()).toISOString(), this.options.signal);
  }

  /** Fills (or rejects) every pending order whose symbol has a bar after the one it was placed on. */
  private async settleDue(step: Step): Promise<void> {
    for (const order of [...step.state.orders.values()]) {
      if (order.status !== 'pending' || order.placedBarTime === undefined) continue;
      // An order whose symbol lost its data waits; any other failure (an abort) goes up.
      const bars = await step.barsFor(order.symbol, 'symbol').catch((error: unknown) => {
        if (error instanceof InputError) return undefined;
        throw error;
      });
      if (!bars) continue;
      const next = firstAfter(bars.time, order.placedBarTime);
      if (next === undefined) continue;
      const open = bars.open[next]!;
      const price = fillPrice(open, order.quantity, step.state.costs);
      const fee = commission(order.quantity, price, step.state.costs);
      const trade = {
        symbol: order.symbol,
        quantity: order.quantity,
        price,
        commission: fee,
        allowShort: order.allowShort,
      };
      const problem = limitProblem(step.state, trade, prices(await step.marks()));
      const barTime = bars.time[next]!;
      if (problem)
        step.emit({
          type: 'order_rejected',
          orderId: order.id,
          symbol: order.symbol,
          quantity: order.quantity,
          stage: 'fill',
          reason: problem,
          barTime,
        });
      else
        step.emit({
          type: 'order_filled',
          orderId: order.id,
          symbol: order.symbol,
          quantity: order.quantity,
          barTime,
          open,
          price,
          commission: fee,
        });
      step.closed.push(order.id);
    }
  }

  private async place(step: Step, request: OrderRequest, field: string, targetWeight?: number): Promise<OrderState> {
    if (!(request.quantity > 0) || request.quantity > maxOrderUnits)
      throw new InputError('quantity', `must be a number of units above 0 and at most ${maxOrderUnits}`);
    const bars = await step.barsFor(request.symbol, field);
    const last = barCount(bars) - 1;
    const quantity = request.side === 'buy' ? request.quantity : -request.quantity;
    const marks = prices(await step.marks([request.symbol]));
    const lastClose = bars.close[last]!;
    const price = fillPrice(lastClose, quantity, step.state.costs);
    const trade = {
      symbol: request.symbol,
      quantity,
      price,
      commission: commission(quantity, price, step.state.costs),
      allowShort: request.allowShort === true,
    };
    const problem = limitProblem(projectPending(step.state, marks), trade, marks);
    const common = {
      orderId: `order-${step.state.lastSeq + 1}`,
      symbol: request.symbol,
      quantity,
      allowShort: trade.allowShort,
      targetWeight,
      note: request.note,
    };
    const event = problem
      ? step.emit({
          type: 'order_rejected',
          ...common,
          stage: 'placement',
          reason: `${problem} (estimated at the last close)`,
        })
      : step.emit({ type: 'order_placed', ...common, placedBarTime: bars.time[last]!, lastClose });
    return step.state.orders.get((event as { orderId: string }).orderId)!;
  }
}

/** The last close with the costs of trading it added: what one unit is sized at. */
export function sizingPrice(close: number, costs: CostModel): number {
  return close * (1 + (costs.slippageBps + costs.commissionBps) / 10_000);
}

function firstAfter(times: Float64Array, time: number): number | undefined {
  let low = 0;
  let high = times.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (times[middle]! <= time) low = middle + 1;
    else high = middle;
  }
  return low < times.length ? low : undefined;
}

function prices(marks: Map<string, { price: number }>): Map<string, number> {
  return new Map([...marks].map(([symbol, mark]) => [symbol, mark.price]));
}

function ledgerInfo(file: string, read: LedgerRead): PaperView['ledger'] {
  return { file, events: read.events.length, tornBytes: read.tornBytes };
}
