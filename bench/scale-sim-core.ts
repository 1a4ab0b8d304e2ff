// The discrete-event engine under bench/scale-sim.ts: a clock with an event queue (a binary heap on
// time, ties broken by scheduling order so that a run is reproducible), a seeded random source, and
// the two kinds of resource the model is built from: a station with c parallel servers and one FIFO
// queue, and a group-commit log that flushes every waiting commit in one go. Nothing here knows about
// Caelum; bench/scale-sim-model.ts composes these into instances, hosts and PostgreSQL.

/** Mulberry32: small, fast and good enough for sampling; the same seed gives the same run. */
export class Rng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Exponential with the given mean; 1 - u keeps the logarithm away from zero. */
  exponential(mean: number): number {
    return mean <= 0 ? 0 : -mean * Math.log(1 - this.next());
  }

  /** A whole number whose mean is `mean`: the integer part always, one more with the fraction's chance. */
  count(mean: number): number {
    const whole = Math.floor(mean);
    return whole + (this.next() < mean - whole ? 1 : 0);
  }

  integer(below: number): number {
    return Math.floor(this.next() * below);
  }
}

/**
 * Simulated time in milliseconds. Events at the same instant run in the order they were scheduled,
 * so the outcome never depends on how the heap happens to break ties.
 */
export class Simulation {
  now = 0;
  executed = 0;
  private readonly heap: ScheduledEvent[] = [];
  private seq = 0;

  get pending(): number {
    return this.heap.length;
  }

  at(time: number, action: () => void): void {
    if (!(time >= this.now)) throw new Error(`cannot schedule at ${time}: the clock is at ${this.now}`);
    const event = { time, seq: this.seq++, action };
    // Sift up by moving parents down into the hole, then drop the event in once.
    const heap = this.heap;
    let i = heap.length;
    heap.push(event);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!earlier(event, heap[parent]!)) break;
      heap[i] = heap[parent]!;
      i = parent;
    }
    heap[i] = event;
  }

  after(delay: number, action: () => void): void {
    this.at(this.now + delay, action);
  }

  /** Runs events until the queue is empty, `stop` says so, or the next event is past `until`. */
  run(until = Infinity, stop: () => boolean = () => false): void {
    while (this.heap.length > 0 && this.heap[0]!.time <= until && !stop()) {
      const event = this.pop();
      this.now = event.time;
      this.executed++;
      event.action();
    }
    if (until !== Infinity && !stop()) this.now = Math.max(this.now, until);
  }

  private pop(): ScheduledEvent {
    const heap = this.heap;
    const first = heap[0]!;
    const last = heap.pop()!;
    if (heap.length === 0) return first;
    // Sift the last event down from the root, moving the earlier child up into the hole.
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= heap.length) break;
      const right = left + 1;
      const child = right < heap.length && earlier(heap[right]!, heap[left]!) ? right : left;
      if (!earlier(heap[child]!, last)) break;
      heap[i] = heap[child]!;
      i = child;
    }
    heap[i] = last;
    return first;
  }
}

interface ScheduledEvent {
  time: number;
  seq: number;
  action: () => void;
}

function earlier(a: ScheduledEvent, b: ScheduledEvent): boolean {
  return a.time < b.time || (a.time === b.time && a.seq < b.seq);
}

/**
 * The time-weighted mean of a level (a resource's busy servers, the calls in flight), restartable at
 * the end of a warm-up, so that it covers the steady part of a run only. The caller reports the
 * level as it was just before each change.
 */
export class LevelMeter {
  private area = 0;
  private since = 0;
  private last = 0;

  constructor(private readonly sim: Simulation) {}

  change(busyBefore: number): void {
    this.area += busyBefore * (this.sim.now - this.last);
    this.last = this.sim.now;
  }

  reset(busyNow: number): void {
    this.change(busyNow);
    this.area = 0;
    this.since = this.sim.now;
  }

  /** The mean level since the last reset. */
  mean(busyNow: number): number {
    this.change(busyNow);
    const span = this.sim.now - this.since;
    return span > 0 ? this.area / span : 0;
  }
}

interface Job {
  service: number;
  arrived: number;
  done: () => void;
}

/**
 * c identical servers in front of one FIFO queue (c = Infinity makes a pure delay). The caller
 * draws the service time, so one station serves jobs of different kinds.
 */
export class Station {
  private busy = 0;
  private readonly queue: Job[] = [];
  private head = 0;
  private readonly meter: LevelMeter;
  /** Jobs started and total time they waited in the queue, since the last reset. */
  started = 0;
  waited = 0;

  constructor(
    private readonly sim: Simulation,
    readonly servers: number,
  ) {
    if (!(servers >= 1)) throw new Error(`a station needs at least one server, got ${servers}`);
    this.meter = new LevelMeter(sim);
  }

  /** Jobs waiting plus jobs in service: what a balancer compares. */
  get load(): number {
    return this.busy + this.queue.length - this.head;
  }

  request(service: number, done: () => void): void {
    const job = { service, arrived: this.sim.now, done };
    if (this.busy < this.servers) this.start(job);
    else this.queue.push(job);
  }

  /** Mean busy servers over the number of servers, since the last reset. */
  utilisation(): number {
    return this.servers === Infinity ? 0 : this.meter.mean(this.busy) / this.servers;
  }

  meanBusy(): number {
    return this.meter.mean(this.busy);
  }

  reset(): void {
    this.meter.reset(this.busy);
    this.started = 0;
    this.waited = 0;
  }

  private start(job: Job): void {
    this.meter.change(this.busy);
    this.busy++;
    this.started++;
    this.waited += this.sim.now - job.arrived;
    this.sim.after(job.service, () => this.finish(job));
  }

  private finish(job: Job): void {
    this.meter.change(this.busy);
    this.busy--;
    if (this.head < this.queue.length) {
      const next = this.queue[this.head++]!;
      // Drop the consumed prefix now and then, so the array does not grow for the whole run.
      if (this.head > 1024 && this.head * 2 > this.queue.length) {
        this.queue.splice(0, this.head);
        this.head = 0;
      }
      this.start(next);
    }
    job.done();
  }
}

/**
 * PostgreSQL's group commit, as a single WAL writer: a commit that arrives while a flush is under way
 * waits for the next one, and the next flush carries every commit that has gathered by the time it
 * starts. A flush costs `flushMs` plus `perCommitMs` for each commit it carries, so under load the
 * fixed cost is shared and the log's capacity grows with the batch it is given.
 */
export class GroupCommitLog {
  private flushing = false;
  private waiting: (() => void)[] = [];
  private readonly meter: LevelMeter;
  flushes = 0;
  commits = 0;

  constructor(
    private readonly sim: Simulation,
    private readonly flushMs: number,
    private readonly perCommitMs: number,
  ) {
    this.meter = new LevelMeter(sim);
  }

  commit(done: () => void): void {
    this.waiting.push(done);
    if (!this.flushing) this.flush();
  }

  /** The share of time the log was flushing, since the last reset. */
  utilisation(): number {
    return this.meter.mean(this.flushing ? 1 : 0);
  }

  reset(): void {
    this.meter.reset(this.flushing ? 1 : 0);
    this.flushes = 0;
    this.commits = 0;
  }

  private flush(): void {
    const carried = this.waiting;
    this.waiting = [];
    this.meter.change(0);
    this.flushing = true;
    this.flushes++;
    this.commits += carried.length;
    this.sim.after(this.flushMs + this.perCommitMs * carried.length, () => {
      this.meter.change(1);
      this.flushing = false;
      // The commits that gathered during this flush go out before anyone new can join them.
      if (this.waiting.length > 0) this.flush();
      for (const done of carried) done();
    });
  }
}
