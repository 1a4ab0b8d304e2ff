// The events of the paper account's ledger. Each is one JSON line with a sequence number and the
// time it was written; the account's state is never stored, only rebuilt from these by replay.
import { z } from 'zod';

const stamp = {
  seq: z.number().int().positive(),
  time: z.string(),
};

const costsSchema = z.object({ commissionBps: z.number().nonnegative(), slippageBps: z.number().nonnegative() });

/** Quantities are signed in the ledger: + buys, - sells. */
export const paperEventSchema = z.discriminatedUnion('type', [
  z.object({
    ...stamp,
    type: z.literal('account_opened'),
    cash: z.number().positive(),
    // The cost model is fixed when the account opens, so a restart books fills the same way.
    costs: costsSchema,
  }),
  z.object({
    ...stamp,
    type: z.literal('order_placed'),
    orderId: z.string(),
    symbol: z.string(),
    quantity: z.number(),
    /** The symbol's last bar when the order was placed: it fills at the open of the bar after this one. */
    placedBarTime: z.number(),
    lastClose: z.number(),
    allowShort: z.boolean(),
    targetWeight: z.number().optional(),
    note: z.string().optional(),
  }),
  z.object({
    ...stamp,
    type: z.literal('order_filled'),
    orderId: z.string(),
    symbol: z.string(),
    quantity: z.number(),
    barTime: z.number(),
    open: z.number(),
    price: z.number(),
    commission: z.number(),
  }),
  z.object({
    ...stamp,
    type: z.literal('order_rejected'),
    orderId: z.string(),
    symbol: z.string(),
    quantity: z.number(),
    /** placement: refused when placed (never pending); fill: refused at the next bar's open. */
    stage: z.enum(['placement', 'fill']),
    reason: z.string(),
    barTime: z.number().optional(),
    allowShort: z.boolean().optional(),
    targetWeight: z.number().optional(),
    note: z.string().optional(),
  }),
  z.object({
    ...stamp,
    type: z.literal('order_cancelled'),
    orderId: z.string(),
    reason: z.string(),
  }),
]);

export type PaperEvent = z.infer<typeof paperEventSchema>;
type Unstamped<E> = E extends unknown ? Omit<E, 'seq' | 'time'> : never;
/** An event before the ledger gives it its sequence number and time. */
export type PaperEventInput = Unstamped<PaperEvent>;
