// Limits that hold across every Caelum instance sharing one PostgreSQL database, with nothing but
// PostgreSQL: no home-made cluster, no extra engine.
// - A host's `maxConcurrent` slots are session-level advisory locks (key: the host's URL, slot
//   number); its queue positions are advisory locks too. Each instance holds its locks on one
//   dedicated session, so an instance that dies (kill -9 included) loses its connection and
//   PostgreSQL frees every slot it held at once: nothing to expire, nothing to clean up.
// - A freed slot is announced with NOTIFY, and each instance's first waiter for that host tries
//   again at once (and every 50 ms anyway, so a lost notification costs at most that).
// - A host that one instance sees die is announced with NOTIFY too; the others mark it down within
//   the notification's delivery (milliseconds) and check it themselves before using it again.
// - The daily Claude budget is two small tables (the day's settled spend, the open reservations)
//   changed by two functions under a transaction-scoped advisory lock: one round trip each.
// When the database cannot be reached, slots fall back to this process's own limits (said once in
// the log, and in the pool status) and come back to the shared ones when it answers again.
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import type { BudgetGrant, BudgetRefusal, ClaudeBudget, SpendSeed } from './claude-budget.js';
import { HostSlots, type Slots } from './host-slots.js';
import { PoolError } from './pool-error.js';

const channel = 'caelum_pool';

const schemaSql = `
create or replace function caelum_acquire_slot(k integer, n integer, held integer[], qk integer, qn integer, qheld integer[])
returns integer language plpgsql as $$
declare i integer;
begin
  for i in 0 .. n - 1 loop
    if not (i = any(held)) and pg_try_advisory_lock(k, i) then return i; end if;
  end loop;
  for i in 0 .. qn - 1 loop
    if not (i = any(qheld)) and pg_try_advisory_lock(qk, i) then return -2 - i; end if;
  end loop;
  return -1;
end $$;
create or replace function caelum_promote_waiter(k integer, n integer, held integer[], qk integer, q integer)
returns integer language plpgsql as $$
declare i integer;
begin
  for i in 0 .. n - 1 loop
    if not (i = any(held)) and pg_try_advisory_lock(k, i) then
      perform pg_advisory_unlock(qk, q);
      return i;
    end if;
  end loop;
  return -1;
end $$;
create table if not exists caelum_claude_budget (day date primary key, spent_usd numeric not null);
create table if not exists caelum_claude_reservations (
  id uuid primary key, day date not null, usd numeric not null, expires_at timestamptz not null, instance text not null
);
create or replace function caelum_claude_reserve(d date, budget numeric, amount numeric, ttl_ms integer, rid uuid, seed numeric, who text)
returns table (granted boolean, committed numeric) language plpgsql as $$
declare s numeric; r numeric; expired numeric;
begin
  perform pg_advisory_xact_lock(hashtext('caelum_claude_budget'));
  insert into caelum_claude_budget (day, spent_usd) values (d, seed) on conflict (day) do nothing;
  -- a reservation never settled (its instance died mid-call) counts as spent at its bound
  with gone as (delete from caelum_claude_reservations where day = d and expires_at < now() returning usd)
    select coalesce(sum(usd), 0) into expired from gone;
  if expired > 0 then update caelum_claude_budget set spent_usd = spent_usd + expired where day = d; end if;
  select spent_usd into s from caelum_claude_budget where day = d;
  select coalesce(sum(usd), 0) into r from caelum_claude_reservations where day = d;
  if s + r >= budget then
    return query select false, s + r;
    return;
  end if;
  insert into caelum_claude_reservations values (rid, d, amount, now() + make_interval(secs => ttl_ms / 1000.0), who);
  return query select true, s + r;
end $$;
create or replace function caelum_claude_settle(rid uuid, actual numeric) returns void language plpgsql as $$
declare d date;
begin
  perform pg_advisory_xact_lock(hashtext('caelum_claude_budget'));
  delete from caelum_claude_reservations where id = rid returning day into d;
  if d is not null then update caelum_claude_budget set spent_usd = spent_usd + actual where day = d; end if;
end $$;`;

/** A stable 32-bit key for a lock name (FNV-1a), so no round trip is spent hashing it. */
function lockKey(name: string): number {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(name)) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193);
  }
  return hash | 0;
}

export interface HostDownNotice {
  url: string;
  host: string;
  reason: string;
  from: string;
}

/** What the pool status shows about the shared limits. */
export interface CoordinationStatus {
  mode: 'postgresql' | 'local-fallback';
  instance: string;
  /** Statements this instance has sent for coordination, by kind. */
  operations: Record<string, number>;
  /** Acquisitions that fell back to this process's own limits because the database did not answer. */
  fallbacks: number;
  lastError: string | undefined;
}

export interface CoordinationOptions {
  connectionString: string;
  onWarning?: (event: string, fields: Record<string, unknown>) => void;
  /** How often a waiter tries again without a notification; default 50 ms. */
  pollMs?: number;
  /** After the database fails, how long local limits are used before trying it again; default 5 s. */
  retryAfterMs?: number;
}

interface Waiter {
  resolve: (release: () => void) => void;
  reject: (error: Error) => void;
  signal: AbortSignal | undefined;
  onAbort: () => void;
  position: number;
  /** Set while the head's promotion is on the wire; the promotion then owns its queue position. */
  promoting?: boolean;
}

export class PgCoordinator {
  readonly instanceId = randomUUID();
  private session: Promise<pg.Client> | undefined;
  /** Bumped when the session is lost: locks taken on an older one are gone with it. */
  generation = 0;
  private readonly slots = new Map<number, SharedSlots>();
  private readonly downListeners = new Set<(notice: HostDownNotice) => void>();
  private readonly operations: Record<string, number> = {};
  private unavailableUntil = 0;
  private lastError: string | undefined;
  fallbacks = 0;
  private warned = false;
  private closed = false;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(readonly options: CoordinationOptions) {}

  /** One dedicated session: it holds this instance's locks and listens for the others' notices. */
  private connect(): Promise<pg.Client> {
    this.session ??= (async () => {
      const { default: driver } = await import('pg');
      const client = new driver.Client({
        connectionString: this.options.connectionString,
        connectionTimeoutMillis: 2_000,
        application_name: `caelum-coordination ${this.instanceId.slice(0, 8)}`,
      });
      const lost = (error?: Error) => {
        if (this.session === undefined) return;
        this.session = undefined;
        this.generation++;
        this.markUnavailable(error ?? new Error('the coordination session ended'));
        for (const slots of this.slots.values()) slots.sessionLost();
      };
      client.on('error', lost);
      client.on('end', () => lost());
      client.on('notification', (message) => this.onNotification(message.payload));
      await client.connect();
      await client.query(`select pg_advisory_lock(hashtext('caelum_coordination_schema'))`);
      try {
        await client.query(schemaSql);
      } finally {
        await client.query(`select pg_advisory_unlock(hashtext('caelum_coordination_schema'))`);
      }
      await client.query(`listen ${channel}`);
      return client;
    })().catch((error: unknown) => {
      this.session = undefined;
      throw error;
    });
    return this.session;
  }

  /** Starts the session (and LISTEN) now, so that notices from other instances arrive from the start. */
  async start(): Promise<void> {
    try {
      await this.connect();
    } catch (error) {
      this.markUnavailable(error as Error);
    }
  }

  get available(): boolean {
    return !this.closed && Date.now() >= this.unavailableUntil;
  }

  markUnavailable(error: Error): void {
    this.unavailableUntil = Date.now() + (this.options.retryAfterMs ?? 5_000);
    this.lastError = error.message;
    if (!this.warned) {
      this.warned = true;
      this.options.onWarning?.('coordination_unavailable', {
        error: error.message,
        effect: "host limits fall back to this instance's own until PostgreSQL answers again",
      });
    }
  }

  /** One statement at a time on the session, in the order they were asked for. */
  async query<R extends pg.QueryResultRow>(kind: string, sql: string, values: unknown[]): Promise<pg.QueryResult<R>> {
    this.operations[kind] = (this.operations[kind] ?? 0) + 1;
    const run = async () => (await this.connect()).query<R>(sql, values);
    const next = this.queue.then(run, run);
    this.queue = next.catch(() => undefined);
    const result = await next;
    if (this.warned && this.lastError) {
      this.warned = false;
      this.options.onWarning?.('coordination_restored', { instance: this.instanceId });
    }
    this.lastError = undefined;
    return result;
  }

  private onNotification(payload: string | undefined): void {
    if (!payload) return;
    let notice: { t?: string; k?: number; u?: string; h?: string; r?: string; i?: string };
    try {
      notice = JSON.parse(payload) as typeof notice;
    } catch {
      return;
    }
    if (notice.t === 'slot' && typeof notice.k === 'number') this.slots.get(notice.k)?.wake();
    if (notice.t === 'down' && notice.i !== this.instanceId && notice.u && notice.h)
      for (const listener of this.downListeners)
        listener({ url: notice.u, host: notice.h, reason: notice.r ?? 'down', from: notice.i ?? 'another instance' });
  }

  /** The shared slots of one host, keyed by its URL (two instances may name one host differently). */
  slotsFor(host: string, url: string, limit: number, maxQueue: number): Slots {
    const key = lockKey(`caelum:slot:${url}`);
    let slots = this.slots.get(key);
    if (!slots) {
      slots = new SharedSlots(this, host, key, lockKey(`caelum:queue:${url}`), limit, maxQueue);
      this.slots.set(key, slots);
    }
    return slots;
  }

  /** Tells every other instance that a host is down. */
  announceDown(host: string, url: string, reason: string): void {
    if (!this.available) return;
    const payload = JSON.stringify({ t: 'down', u: url, h: host, r: reason.slice(0, 300), i: this.instanceId });
    this.query('notify', 'select pg_notify($1, $2)', [channel, payload]).catch((error: Error) =>
      this.markUnavailable(error),
    );
  }

  onHostDown(listener: (notice: HostDownNotice) => void): () => void {
    this.downListeners.add(listener);
    return () => this.downListeners.delete(listener);
  }

  /** The shared Claude budget. */
  budget(seed: SpendSeed): ClaudeBudget {
    return new PgClaudeBudget(this, seed);
  }

  status(): CoordinationStatus {
    return {
      mode: this.available ? 'postgresql' : 'local-fallback',
      instance: this.instanceId,
      operations: { ...this.operations },
      fallbacks: this.fallbacks,
      lastError: this.lastError,
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const slots of this.slots.values()) slots.close();
    const session = this.session;
    this.session = undefined;
    if (session) await (await session.catch(() => undefined))?.end().catch(() => undefined);
  }
}

/**
 * One host's slots across instances. Requests of this instance wait in a local FIFO; only its head
 * asks the database for a slot, on each notice of a freed slot and every pollMs. Every waiter holds
 * one of the host's queue positions, so the queue's length is bounded across all instances too.
 */
class SharedSlots implements Slots {
  private active = 0;
  private readonly held = new Set<number>();
  private readonly heldPositions = new Set<number>();
  private readonly waiters: Waiter[] = [];
  /** Statements for this host go one at a time, so the held sets are current when each is sent. */
  private chain: Promise<unknown> = Promise.resolve();
  private pumping = false;
  private again = false;
  private timer: NodeJS.Timeout | undefined;
  private readonly local: HostSlots;

  constructor(
    private readonly coordinator: PgCoordinator,
    readonly host: string,
    private readonly key: number,
    private readonly queueKey: number,
    private readonly limit: number,
    private readonly maxQueue: number,
  ) {
    this.local = new HostSlots(host, limit, maxQueue);
  }

  get inFlight(): number {
    return this.active + this.local.inFlight;
  }

  get queued(): number {
    return this.waiters.length + this.local.queued;
  }

  private serial<T>(work: () => Promise<T>): Promise<T> {
    const next = this.chain.then(work, work);
    this.chain = next.catch(() => undefined);
    return next;
  }

  async acquire(signal?: AbortSignal): Promise<() => void> {
    if (signal?.aborted)
      throw new PoolError('CANCELLED', `request for ${this.host} was cancelled while queued`, this.host);
    if (!this.coordinator.available) return this.fallback(signal);
    const generation = this.coordinator.generation;
    let answer: number;
    try {
      // Behind local waiters, a new request only takes a queue position: first come, first served.
      const positions = this.maxQueue;
      answer = await this.serial(async () => {
        const { rows } = await this.coordinator.query<{ r: number }>(
          'acquire',
          'select caelum_acquire_slot($1, $2, $3, $4, $5, $6) as r',
          [
            this.key,
            this.waiters.length > 0 ? 0 : this.limit,
            [...this.held],
            this.queueKey,
            positions,
            [...this.heldPositions],
          ],
        );
        const r = rows[0]!.r;
        if (r >= 0) this.held.add(r);
        else if (r <= -2) this.heldPositions.add(-2 - r);
        return r;
      });
    } catch (error) {
      this.coordinator.markUnavailable(error as Error);
      return this.fallback(signal);
    }
    if (generation !== this.coordinator.generation) return this.fallback(signal);
    if (answer >= 0) return this.releaser(answer, generation);
    if (answer === -1)
      throw new PoolError(
        'QUEUE_FULL',
        `${this.host} has every slot busy and all ${this.maxQueue} queue positions taken across the instances sharing its limits`,
        this.host,
      );
    const position = -2 - answer;
    if (signal?.aborted) {
      this.freePosition(position);
      throw new PoolError('CANCELLED', `request for ${this.host} was cancelled while queued`, this.host);
    }
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        resolve,
        reject,
        signal,
        position,
        onAbort: () => {
          const index = this.waiters.indexOf(waiter);
          if (index === -1) return;
          this.waiters.splice(index, 1);
          if (!waiter.promoting) this.freePosition(position);
          reject(new PoolError('CANCELLED', `request for ${this.host} was cancelled while queued`, this.host));
        },
      };
      signal?.addEventListener('abort', waiter.onAbort, { once: true });
      this.waiters.push(waiter);
      void this.pump();
    });
  }

  private fallback(signal?: AbortSignal): Promise<() => void> {
    this.coordinator.fallbacks++;
    return this.local.acquire(signal);
  }

  private freePosition(position: number): void {
    const generation = this.coordinator.generation;
    void this.serial(async () => {
      this.heldPositions.delete(position);
      if (generation !== this.coordinator.generation) return;
      await this.coordinator.query('dequeue', 'select pg_advisory_unlock($1, $2)', [this.queueKey, position]);
    }).catch(() => undefined);
  }

  private releaser(slot: number, generation: number): () => void {
    this.active++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.active--;
      void this.serial(async () => {
        this.held.delete(slot);
        if (generation !== this.coordinator.generation) return;
        await this.coordinator.query('release', 'select pg_advisory_unlock($1, $2), pg_notify($3, $4)', [
          this.key,
          slot,
          channel,
          JSON.stringify({ t: 'slot', k: this.key }),
        ]);
      })
        .catch((error: Error) => this.coordinator.markUnavailable(error))
        .finally(() => void this.pump());
    };
  }

  /** A slot may be free: the head waiter asks for it. */
  wake(): void {
    if (this.waiters.length > 0) void this.pump();
  }

  private async pump(): Promise<void> {
    if (this.pumping) {
      this.again = true;
      return;
    }
    this.pumping = true;
    try {
      do {
        this.again = false;
        while (this.waiters.length > 0) {
          const head = this.waiters[0]!;
          const generation = this.coordinator.generation;
          head.promoting = true;
          const slot = await this.serial(async () => {
            const { rows } = await this.coordinator.query<{ r: number }>(
              'promote',
              'select caelum_promote_waiter($1, $2, $3, $4, $5) as r',
              [this.key, this.limit, [...this.held], this.queueKey, head.position],
            );
            const r = rows[0]!.r;
            if (r >= 0) {
              this.held.add(r);
              this.heldPositions.delete(head.position);
            }
            return r;
          });
          head.promoting = false;
          const index = this.waiters.indexOf(head);
          if (slot < 0) {
            // A head cancelled while it asked still holds its position: free it.
            if (index === -1) this.freePosition(head.position);
            break;
          }
          if (index === -1) {
            // The head was cancelled while its promotion was on the wire (the promotion freed its
            // position): the slot goes to the next waiter, or back.
            const next = this.waiters.shift();
            if (next) {
              next.signal?.removeEventListener('abort', next.onAbort);
              this.freePosition(next.position);
              next.resolve(this.releaser(slot, generation));
            } else this.releaser(slot, generation)();
            continue;
          }
          this.waiters.splice(index, 1);
          head.signal?.removeEventListener('abort', head.onAbort);
          head.resolve(this.releaser(slot, generation));
        }
      } while (this.again);
    } catch (error) {
      // The database stopped answering: the waiters go to this process's own limits.
      this.coordinator.markUnavailable(error as Error);
      for (const waiter of this.waiters.splice(0)) {
        waiter.signal?.removeEventListener('abort', waiter.onAbort);
        this.fallback(waiter.signal).then(waiter.resolve, waiter.reject);
      }
    } finally {
      this.pumping = false;
      if (this.waiters.length > 0 && !this.timer) {
        this.timer = setTimeout(() => {
          this.timer = undefined;
          void this.pump();
        }, this.coordinator.options.pollMs ?? 50);
        this.timer.unref();
      }
    }
  }

  /** The session died, and every lock with it: waiters retry on the next session or locally. */
  sessionLost(): void {
    this.held.clear();
    this.heldPositions.clear();
    for (const waiter of this.waiters.splice(0)) {
      waiter.signal?.removeEventListener('abort', waiter.onAbort);
      this.acquire(waiter.signal).then(waiter.resolve, waiter.reject);
    }
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
    for (const waiter of this.waiters.splice(0)) {
      waiter.signal?.removeEventListener('abort', waiter.onAbort);
      waiter.reject(new PoolError('CANCELLED', `the pool closed while a request for ${this.host} was queued`));
    }
  }
}

class PgClaudeBudget implements ClaudeBudget {
  private seeded: { day: string; usd: Promise<number> } | undefined;

  constructor(
    private readonly coordinator: PgCoordinator,
    private readonly seed: SpendSeed,
  ) {}

  async reserve(boundUsd: number, budgetUsd: number, ttlMs: number): Promise<BudgetGrant | BudgetRefusal> {
    const day = new Date().toISOString().slice(0, 10);
    // The spend already booked today, for the day's row if no instance has made it yet.
    if (this.seeded?.day !== day) this.seeded = { day, usd: this.seed(day) };
    const seed = await this.seeded.usd;
    const id = randomUUID();
    const { rows } = await this.coordinator.query<{ granted: boolean; committed: string }>(
      'budgetReserve',
      'select * from caelum_claude_reserve($1, $2, $3, $4, $5, $6, $7)',
      [day, budgetUsd, boundUsd, Math.ceil(ttlMs), id, seed, this.coordinator.instanceId],
    );
    const row = rows[0]!;
    return row.granted
      ? { granted: true, id, day, boundUsd }
      : { granted: false, day, committedUsd: Number(row.committed) };
  }

  async settle(grant: BudgetGrant, actualUsd: number): Promise<void> {
    await this.coordinator.query('budgetSettle', 'select caelum_claude_settle($1, $2)', [grant.id, actualUsd]);
  }
}
