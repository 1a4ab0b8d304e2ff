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
import type { Slots } from './host-slots.js';
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
create or replace function caelum_relock(k integer, wanted integer[]) returns integer[] language plpgsql as $$
declare i integer; got integer[] := '{}';
begin
  foreach i in array wanted loop
    if pg_try_advisory_lock(k, i) then got := got || i; end if;
  end loop;
  return got;
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
export function lockKey(name: string): number {
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
  /** A statement slower than this ends the session (its locks go with it); default 2 s. */
  statementTimeoutMs?: number;
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

/** A statement for a session that has ended: it is not sent on another one (its locks are gone). */
class SessionLost extends Error {
  constructor() {
    super('the coordination session ended');
  }
}

export class PgCoordinator {
  readonly instanceId = randomUUID();
  /** The live session; undefined when none is open. */
  private client: pg.Client | undefined;
  private connecting: Promise<pg.Client> | undefined;
  /** Bumped when a session ends: locks taken on an older one are gone with it. */
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
  private peerTimer: NodeJS.Timeout | undefined;
  private schemaReady = false;

  constructor(readonly options: CoordinationOptions) {}

  /**
   * Opens the session (it holds this instance's locks and listens for the others' notices) unless
   * one is open. Statements have a deadline and the socket keep-alives, so a database that stops
   * answering ends the session instead of hanging the calls behind it.
   */
  private openSession(): Promise<pg.Client> {
    if (this.closed) return Promise.reject(new Error('the coordinator is closed'));
    if (this.client) return Promise.resolve(this.client);
    this.connecting ??= (async () => {
      const { default: driver } = await import('pg');
      const client = new driver.Client({
        connectionString: this.options.connectionString,
        connectionTimeoutMillis: 2_000,
        query_timeout: this.options.statementTimeoutMs ?? 2_000,
        keepAlive: true,
        application_name: `caelum-coordination ${this.instanceId.slice(0, 8)}`,
      });
      client.on('error', (error) => this.sessionEnded(client, error));
      client.on('end', () => this.sessionEnded(client, new Error('the coordination session ended')));
      client.on('notification', (message) => this.onNotification(message.payload));
      try {
        await client.connect();
        // The functions and tables outlive sessions: once made, a new session (after a cut) skips
        // straight to LISTEN, so it can take back its running requests' slots within milliseconds.
        if (!this.schemaReady) {
          await client.query(`select pg_advisory_lock(hashtext('caelum_coordination_schema'))`);
          try {
            await client.query(schemaSql);
          } finally {
            await client.query(`select pg_advisory_unlock(hashtext('caelum_coordination_schema'))`);
          }
          this.schemaReady = true;
        }
        await client.query(`listen ${channel}`);
      } catch (error) {
        await client.end().catch(() => undefined);
        throw error;
      }
      if (this.closed) {
        await client.end().catch(() => undefined);
        throw new Error('the coordinator is closed');
      }
      this.client = client;
      void this.countPeers().catch(() => undefined);
      this.peerTimer ??= setInterval(() => void this.countPeers().catch(() => undefined), 10_000);
      this.peerTimer.unref();
      return client;
    })().finally(() => (this.connecting = undefined));
    return this.connecting;
  }

  /**
   * A session ended (an error, the server, or on purpose after a failed statement). Only the
   * current session counts: a late event from an older one changes nothing. Its locks are gone
   * with it; waiters carry on, on the next session or on this instance's own limits.
   */
  private sessionEnded(client: pg.Client, error: Error): void {
    if (this.client !== client) return;
    this.client = undefined;
    this.generation++;
    this.lastError = error.message;
    void client.end().catch(() => undefined);
    if (this.closed) return;
    // The database may well still answer (a restart is over, a DBA ended one session): the slots
    // open a new session at once and take back the slots of the requests still running, before
    // another instance's waiters (woken every pollMs) can. If it does not answer, they fall back.
    this.options.onWarning?.('coordination_session_lost', { error: error.message, instance: this.instanceId });
    for (const slots of this.slots.values()) slots.sessionLost();
  }

  /** How many instances held a coordination session at the last count (this one included). */
  peers = 1;

  /** Counts the instances' coordination sessions, for the share each takes when the database is gone. */
  private async countPeers(): Promise<void> {
    const { rows } = await this.query<{ n: string }>(
      'peers',
      `select count(*) as n from pg_stat_activity where application_name like 'caelum-coordination %' and datname = current_database()`,
      [],
    );
    this.peers = Math.max(1, Number(rows[0]!.n));
  }

  /** Starts the session (and LISTEN) now, so that notices from other instances arrive from the start. */
  async start(): Promise<void> {
    try {
      await this.openSession();
    } catch (error) {
      this.markUnavailable(error as Error);
    }
  }

  /** The generation of an open session, opening one if the database is deemed reachable. */
  async ready(): Promise<number> {
    if (!this.available) throw new Error(this.lastError ?? 'PostgreSQL is unavailable');
    await this.openSession();
    return this.generation;
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

  /**
   * One statement at a time on the session, in the order they were asked for. With `generation`,
   * the statement belongs to that session: if it has ended, the statement fails rather than run on
   * a new one. Without, it opens a session only while the database is deemed reachable. A
   * statement that fails ends the session, so that PostgreSQL frees whatever it held.
   */
  async query<R extends pg.QueryResultRow>(
    kind: string,
    sql: string,
    values: unknown[],
    generation?: number,
  ): Promise<pg.QueryResult<R>> {
    if (this.closed) throw new Error('the coordinator is closed');
    this.operations[kind] = (this.operations[kind] ?? 0) + 1;
    const run = async () => {
      if (this.closed) throw new Error('the coordinator is closed');
      let client: pg.Client | undefined;
      if (generation === undefined) {
        if (!this.available) throw new Error(this.lastError ?? 'PostgreSQL is unavailable');
        client = await this.openSession();
      } else if (generation === this.generation) client = this.client;
      if (!client) throw new SessionLost();
      try {
        return await client.query<R>(sql, values);
      } catch (error) {
        this.sessionEnded(client, error as Error);
        throw error;
      }
    };
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
    const name = hostKey(url);
    const key = lockKey(`caelum:slot:${name}`);
    let slots = this.slots.get(key);
    if (!slots) {
      slots = new SharedSlots(this, host, key, lockKey(`caelum:queue:${name}`), limit, maxQueue);
      this.slots.set(key, slots);
    }
    return slots;
  }

  /** Tells every other instance that a host is down. */
  announceDown(host: string, url: string, reason: string): void {
    if (!this.available) return;
    const payload = JSON.stringify({ t: 'down', u: url, h: host, r: reason.slice(0, 300), i: this.instanceId });
    this.query('notify', 'select pg_notify($1, $2)', [channel, payload]).catch(() => undefined);
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
    if (this.peerTimer) clearInterval(this.peerTimer);
    for (const slots of this.slots.values()) slots.close();
    const client = this.client ?? (await this.connecting?.catch(() => undefined));
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }
}

/**
 * One host's slots across instances. However the database fares, this instance never runs more
 * than `limit` requests on the host: `running` counts every request it runs, with a lock or not
 * (taken during an outage, or on a session that has since ended). Requests that cannot start wait
 * in a local FIFO; only its head asks the database, on each notice of a freed slot and every
 * pollMs. Each waiter holds one of the host's queue positions, so the queue is bounded across all
 * instances too; without the database, the local FIFO holds at most maxQueue.
 */
class SharedSlots implements Slots {
  private running = 0;
  /** Slot and queue-position numbers held on the current session. */
  private readonly held = new Set<number>();
  private readonly heldPositions = new Set<number>();
  /** The lock of each running request that has one: its slot and the session it is on. */
  private readonly locks = new Set<{ slot: number; generation: number }>();
  private readonly waiters: Waiter[] = [];
  /** Statements for this host go one at a time, so the held sets are current when each is sent. */
  private chain: Promise<unknown> = Promise.resolve();
  private pumping = false;
  private again = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly coordinator: PgCoordinator,
    readonly host: string,
    private readonly key: number,
    private readonly queueKey: number,
    private readonly limit: number,
    private readonly maxQueue: number,
  ) {}

  get inFlight(): number {
    return this.running;
  }

  get queued(): number {
    return this.waiters.length;
  }

  private serial<T>(work: () => Promise<T>): Promise<T> {
    const next = this.chain.then(work, work);
    this.chain = next.catch(() => undefined);
    return next;
  }

  private cancelled(): PoolError {
    return new PoolError('CANCELLED', `request for ${this.host} was cancelled while queued`, this.host);
  }

  async acquire(signal?: AbortSignal): Promise<() => void> {
    if (signal?.aborted) throw this.cancelled();
    // Behind local waiters, or with `limit` running here, a request only queues: first come, first served.
    if (!this.coordinator.available)
      return this.withoutDatabase(signal, this.waiters.length === 0 && this.running < this.limit);
    let generation: number;
    try {
      generation = await this.coordinator.ready();
    } catch (error) {
      this.coordinator.markUnavailable(error as Error);
      return this.withoutDatabase(signal, this.waiters.length === 0 && this.running < this.limit);
    }
    const start = this.waiters.length === 0 && this.running < this.limit;
    if (start) this.running++; // the local permit, held while the statement is out
    // If the caller gives up while the statement is out, what it got is given back in the chain.
    const ticket = { abandoned: false };
    const work = this.serial(async () => {
      const { rows } = await this.coordinator.query<{ r: number }>(
        'acquire',
        'select caelum_acquire_slot($1, $2, $3, $4, $5, $6) as r',
        [this.key, start ? this.limit : 0, [...this.held], this.queueKey, this.maxQueue, [...this.heldPositions]],
        generation,
      );
      const r = rows[0]!.r;
      if (r >= 0) this.held.add(r);
      else if (r <= -2) this.heldPositions.add(-2 - r);
      if (ticket.abandoned) await this.giveBack(r, generation);
      return r;
    });
    let answer: number;
    try {
      answer = await raceSignal(work, signal);
    } catch (error) {
      if (start) this.running--;
      if (error instanceof PoolError) {
        ticket.abandoned = true;
        throw error;
      }
      // The session ended under the statement (or it failed and ended it): this instance's own limits.
      return this.withoutDatabase(signal, this.waiters.length === 0 && this.running < this.limit);
    }
    if (answer >= 0) return this.releaser(answer, generation);
    if (start) this.running--;
    if (answer === -1)
      throw new PoolError(
        'QUEUE_FULL',
        `${this.host} has every slot busy and all ${this.maxQueue} queue positions taken across the instances sharing its limits`,
        this.host,
      );
    return this.wait(-2 - answer, signal);
  }

  /** Gives back, in the chain, a slot or position its caller no longer wants. */
  private async giveBack(r: number, generation: number): Promise<void> {
    if (generation !== this.coordinator.generation || r === -1) return;
    if (r >= 0) {
      this.held.delete(r);
      await this.coordinator
        .query(
          'release',
          'select pg_advisory_unlock($1, $2), pg_notify($3, $4)',
          [this.key, r, channel, this.notice()],
          generation,
        )
        .catch(() => undefined);
    } else {
      this.heldPositions.delete(-2 - r);
      await this.coordinator
        .query('dequeue', 'select pg_advisory_unlock($1, $2)', [this.queueKey, -2 - r], generation)
        .catch(() => undefined);
    }
  }

  private notice(): string {
    return JSON.stringify({ t: 'slot', k: this.key });
  }

  /** Without the database: this instance's own limit and a local queue of at most maxQueue. */
  private withoutDatabase(signal: AbortSignal | undefined, mayStart: boolean): Promise<() => void> {
    this.coordinator.fallbacks++;
    if (mayStart && this.running < this.currentLimit()) {
      this.running++;
      return Promise.resolve(this.releaser(-1, -1));
    }
    if (this.waiters.length >= this.maxQueue)
      return Promise.reject(
        new PoolError(
          'QUEUE_FULL',
          `${this.host} has ${this.running} running and ${this.waiters.length} queued`,
          this.host,
        ),
      );
    return this.wait(-1, signal);
  }

  /** Waits in the local FIFO; `position` is the database queue position held, or -1. */
  private wait(position: number, signal?: AbortSignal): Promise<() => void> {
    if (signal?.aborted) {
      this.freePosition(position);
      return Promise.reject(this.cancelled());
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
          if (!waiter.promoting) this.freePosition(waiter.position);
          reject(this.cancelled());
        },
      };
      signal?.addEventListener('abort', waiter.onAbort, { once: true });
      this.waiters.push(waiter);
      void this.pump();
    });
  }

  private freePosition(position: number): void {
    if (position < 0) return;
    const generation = this.coordinator.generation;
    void this.serial(() => this.giveBack(-2 - position, generation));
  }

  /** The release of a running request: `slot` -1 for one that holds no lock. */
  private releaser(slot: number, generation: number): () => void {
    const lock = { slot, generation };
    if (slot >= 0) this.locks.add(lock);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.running--;
      if (!this.locks.delete(lock)) {
        void this.pump();
        return;
      }
      // Read at release time: a lock taken back on a new session (relock) is given back there.
      void this.serial(() => this.giveBack(lock.slot, lock.generation)).finally(() => void this.pump());
    };
  }

  /** This instance's limit now: all of it with the database, its share of it without. */
  private currentLimit(): number {
    return this.coordinator.available
      ? this.limit
      : Math.max(1, Math.floor(this.limit / Math.max(1, this.coordinator.peers)));
  }

  /** One statement: a slot for the head, freeing its queue position (or a slot only, when it holds none). */
  private async promote(head: Waiter, generation: number): Promise<number> {
    const position = head.position >= 0 && this.heldPositions.has(head.position) ? head.position : -1;
    const { rows } =
      position >= 0
        ? await this.coordinator.query<{ r: number }>(
            'promote',
            'select caelum_promote_waiter($1, $2, $3, $4, $5) as r',
            [this.key, this.limit, [...this.held], this.queueKey, position],
            generation,
          )
        : await this.coordinator.query<{ r: number }>(
            'acquire',
            'select caelum_acquire_slot($1, $2, $3, $4, 0, $5) as r',
            [this.key, this.limit, [...this.held], this.queueKey, [...this.heldPositions]],
            generation,
          );
    const r = rows[0]!.r;
    if (r >= 0) {
      this.held.add(r);
      if (position >= 0) {
        this.heldPositions.delete(position);
        head.position = -1;
      }
    }
    return r;
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
        while (this.waiters.length > 0 && this.running < this.currentLimit()) {
          const head = this.waiters[0]!;
          let slot = -1;
          let generation = -1;
          this.running++; // the local permit, held while the head asks
          if (this.coordinator.available) {
            let found = false;
            try {
              generation = await this.coordinator.ready();
              head.promoting = true;
              slot = await this.serial(() => this.promote(head, generation));
              found = slot >= 0;
              if (!found) {
                this.running--;
                // A head cancelled while it asked still holds its position: free it.
                if (!this.waiters.includes(head)) this.freePosition(head.position);
                break;
              }
            } catch (error) {
              // The database failed under the head: ask again, on a new session or (if it does not
              // answer) within this instance's share of the limit.
              if (!(error instanceof SessionLost)) this.coordinator.markUnavailable(error as Error);
              head.promoting = false;
              this.running--;
              continue;
            } finally {
              head.promoting = false;
            }
          }
          // The head gets the slot (or, without the database, the permit); if it was cancelled
          // meanwhile, the next waiter does, and the slot goes back when nobody waits.
          const next = this.waiters.includes(head) ? head : this.waiters[0];
          if (!next) {
            this.releaser(slot, generation)();
            break;
          }
          this.waiters.splice(this.waiters.indexOf(next), 1);
          next.signal?.removeEventListener('abort', next.onAbort);
          // The promotion freed the head's own position; any other position is freed here.
          if (next !== head || slot < 0) this.freePosition(next.position);
          next.resolve(this.releaser(slot, generation));
        }
      } while (this.again);
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

  /** The session ended, and every lock with it: waiters keep their turn and ask again. */
  sessionLost(): void {
    this.held.clear();
    this.heldPositions.clear();
    for (const waiter of this.waiters) waiter.position = -1;
    void this.relock().finally(() => void this.pump());
  }

  /**
   * After a session ended: a new session at once, and the slots of the requests still running
   * taken back on it. What another instance took in between stays theirs; those requests run on
   * without a lock (and count here until they end).
   */
  private async relock(): Promise<void> {
    const orphans = [...this.locks];
    if (orphans.length === 0) return;
    let generation: number;
    try {
      generation = await this.coordinator.ready();
    } catch (error) {
      this.coordinator.markUnavailable(error as Error);
      return;
    }
    await this.serial(async () => {
      // A slot this session already holds again (a new request took it) is not taken twice: locks
      // are re-entrant within a session, so that would be two requests on one slot.
      const wanted = orphans.filter(
        (lock) => this.locks.has(lock) && lock.generation !== generation && !this.held.has(lock.slot),
      );
      if (wanted.length === 0) return;
      const { rows } = await this.coordinator.query<{ got: number[] }>(
        'relock',
        'select caelum_relock($1, $2) as got',
        [this.key, wanted.map((lock) => lock.slot)],
        generation,
      );
      const got = new Set(rows[0]!.got);
      for (const lock of wanted) {
        if (!got.has(lock.slot)) continue;
        if (this.locks.has(lock)) {
          lock.generation = generation;
          this.held.add(lock.slot);
        } else {
          // Released while the statement was out: give it back at once.
          this.held.add(lock.slot);
          await this.giveBack(lock.slot, generation);
        }
      }
    }).catch(() => undefined);
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
    for (const waiter of this.waiters.splice(0)) {
      waiter.signal?.removeEventListener('abort', waiter.onAbort);
      waiter.reject(new PoolError('CANCELLED', `the pool closed while a request for ${this.host} was queued`));
    }
  }
}

/** The work's answer, or CANCELLED as soon as the signal aborts (the work goes on and cleans up). */
function raceSignal<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return work;
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new PoolError('CANCELLED', 'the request was cancelled while it waited for a slot'));
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error as Error);
      },
    );
  });
}

/** One host, however its URL is spelled: lower-case host, default port, no trailing slash or /v1. */
export function hostKey(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.username = '';
    parsed.password = '';
    parsed.search = '';
    parsed.hash = '';
    const pathname = parsed.pathname.replace(/\/+$/, '').replace(/\/v1$/, '');
    return `${parsed.protocol}//${parsed.host}${pathname}`;
  } catch {
    return url;
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
