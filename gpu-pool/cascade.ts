// complete(): the confidence cascade. It tries the cheapest suitable local tier first, escalates to
// larger local tiers while the answer's confidence (see confidence.ts) is below the threshold, and
// last asks Claude. Without a Claude key it returns the best local answer marked lowConfidence,
// never an error that hides it. Every attempt is priced, recorded in the ledger, and returned as a
// step for the caller's execution block.
import { randomUUID } from 'node:crypto';
import type { Message } from 'ollama';
import type { z } from 'zod';
import type { ClaudeBackend } from './claude-backend.js';
import { agreement, combineConfidence, judge } from './confidence.js';
import type { CostLedger, LedgerEntry } from './ledger.js';
import type { EventEmitter } from 'node:events';
import type { OllamaPool, PoolEvents, Tier, TierSubstitution } from './ollama-pool.js';
import { PoolError } from './pool-error.js';
import { priceCall, type TokenUsage } from './prices.js';

export interface LlmStep {
  backend: 'ollama' | 'claude';
  host?: string;
  model: string;
  tier?: Tier;
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
  baselineCostUsd: number;
  savingUsd: number;
  latencyMs: number;
  confidence?: number;
  outcome: 'ok' | 'error';
  errorCode?: string;
  /** The price row used, e.g. "claude-sonnet-4-5@2024-01-01". */
  priceVersion?: string;
  flags: string[];
  /** Set when the tier was served by another model than the one it wants, and why. */
  substitution?: TierSubstitution;
}

export interface CompleteRequest<T> {
  prompt?: string;
  messages?: { role: 'user' | 'assistant'; content: string }[];
  system?: string;
  tier?: Tier;
  schema?: z.ZodType<T>;
  threshold?: number;
  /** k > 1 asks each tier for k samples and measures their agreement. */
  samples?: number;
  maxTokens?: number;
  tool?: string;
  supervisor?: string;
  signal?: AbortSignal;
  deadlineMs?: number;
}

export interface CompleteResult<T> {
  value: T | undefined;
  text: string;
  confidence: number;
  threshold: number;
  lowConfidence: boolean;
  answeredBy: { backend: 'ollama' | 'claude'; host?: string; model: string };
  steps: LlmStep[];
  /** Set when Claude was skipped because the day's Claude budget was spent. */
  budgetExceeded?: boolean;
}

export interface CascadeOptions {
  ollama: OllamaPool | undefined;
  claude: ClaudeBackend | undefined;
  ledger: CostLedger;
  /** The Claude model that prices the all-Claude baseline. */
  baselineModel: string;
  /** Local cost per GPU-hour of model time; 0 by default. */
  localUsdPerHour?: number;
  defaultThreshold: number;
  clock?: () => Date;
  onWarning?: (event: string, fields: Record<string, unknown>) => void;
  /** Typed pool events: escalations and budget. */
  events?: EventEmitter<PoolEvents>;
  /** Claude spend allowed per UTC day; past it, escalations stop at the best local answer. */
  claudeBudgetUsdPerDay?: number;
}

const ladders: Record<Tier, Tier[]> = {
  micro: ['micro', 'small', 'full', 'large'],
  small: ['small', 'full', 'large'],
  full: ['full', 'large'],
  large: ['large'],
  code: ['code', 'large'],
  embed: [],
};

interface Candidate<T> {
  value: T | undefined;
  text: string;
  confidence: number;
  answeredBy: CompleteResult<T>['answeredBy'];
}

export class Cascade {
  private readonly clock: () => Date;
  /** Claude spend of the current UTC day, seeded from the ledger on first use. */
  private spend: { day: string; usd: number } | undefined;

  constructor(private readonly options: CascadeOptions) {
    this.clock = options.clock ?? (() => new Date());
  }

  get claudeConfigured(): boolean {
    return this.options.claude !== undefined;
  }

  private price(
    step: Omit<LlmStep, 'costUsd' | 'baselineCostUsd' | 'savingUsd' | 'flags'>,
    usage: TokenUsage,
    at: Date,
  ): LlmStep {
    const flags: string[] = [];
    let costUsd = 0;
    let priceVersion: string | undefined;
    if (step.backend === 'claude') {
      const priced = priceCall(step.model, usage, at);
      if (priced.known) {
        costUsd = priced.usd;
        priceVersion = priced.priceVersion;
      } else {
        flags.push(priced.flag);
        this.options.onWarning?.('unknown_model_price', { model: step.model });
      }
    } else {
      costUsd = ((this.options.localUsdPerHour ?? 0) * step.latencyMs) / 3_600_000;
    }
    const baseline = priceCall(this.options.baselineModel, usage, at);
    if (!baseline.known) {
      flags.push('UNKNOWN_BASELINE_PRICE');
      this.options.onWarning?.('unknown_baseline_price', { model: this.options.baselineModel });
    }
    const baselineCostUsd = baseline.known ? baseline.usd : 0;
    return {
      ...step,
      costUsd,
      baselineCostUsd,
      savingUsd: baselineCostUsd - costUsd,
      flags,
      ...(priceVersion ? { priceVersion } : {}),
    };
  }

  private async record(step: LlmStep, request: CompleteRequest<unknown>, at: Date): Promise<void> {
    const entry: LedgerEntry = {
      ts: at.toISOString(),
      callId: randomUUID(),
      tool: request.tool,
      supervisor: request.supervisor,
      backend: step.backend,
      host: step.host,
      model: step.model,
      inputTokens: step.inputTokens,
      outputTokens: step.outputTokens,
      cacheWriteTokens: 0,
      cacheReadTokens: 0,
      latencyMs: Number(step.latencyMs.toFixed(3)),
      costUsd: step.costUsd,
      baselineCostUsd: step.baselineCostUsd,
      savingUsd: step.savingUsd,
      priceVersion: step.priceVersion,
      outcome: step.outcome,
      errorCode: step.errorCode,
      confidence: step.confidence,
      flags: step.flags,
    };
    try {
      await this.options.ledger.append(entry);
    } catch (error) {
      // The answer is not thrown away because the ledger could not be written; the gap is reported.
      this.options.onWarning?.('ledger_write_failed', { error: (error as Error).message });
    }
  }

  private async claudeSpentToday(): Promise<{ day: string; usd: number }> {
    const day = this.clock().toISOString().slice(0, 10);
    if (this.spend?.day !== day) {
      const summary = await this.options.ledger.summarize({ groupBy: 'backend', since: new Date(`${day}T00:00:00Z`) });
      this.spend = { day, usd: summary.groups.find((g) => g.key === 'claude')?.costUsd ?? 0 };
    }
    return this.spend;
  }

  /** Whether Claude may be called now; emits a budget event when the day's budget is spent. */
  private async withinBudget(): Promise<boolean> {
    const budget = this.options.claudeBudgetUsdPerDay;
    if (budget === undefined) return true;
    const spent = await this.claudeSpentToday();
    if (spent.usd < budget) return true;
    this.options.events?.emit('budget', { spentUsd: spent.usd, budgetUsd: budget, day: spent.day });
    return false;
  }

  async complete<T = string>(request: CompleteRequest<T>): Promise<CompleteResult<T>> {
    const threshold = request.threshold ?? this.options.defaultThreshold;
    const deadlineMs = request.deadlineMs ?? 120_000;
    const started = performance.now();
    const remaining = () => Math.max(1, deadlineMs - (performance.now() - started));
    const messages: Message[] = [
      ...(request.system ? [{ role: 'system', content: request.system }] : []),
      ...(request.messages ?? [{ role: 'user' as const, content: request.prompt ?? '' }]),
    ];
    const steps: LlmStep[] = [];
    let best: Candidate<T> | undefined;
    const failures: string[] = [];
    const samples = Math.max(1, Math.min(9, request.samples ?? 1));
    const ollama = this.options.ollama;
    const asked = new Set<string>();
    for (const tier of ollama ? ladders[request.tier ?? 'small'] : []) {
      request.signal?.throwIfAborted();
      // A tier that resolves to a model already asked would only repeat the same call.
      if (asked.has(ollama!.modelFor(tier))) continue;
      asked.add(ollama!.modelFor(tier));
      const attempts = await Promise.all(
        Array.from({ length: samples }, () =>
          ollama!
            .chat(
              {
                tier,
                messages,
                ...(request.schema ? { format: 'json' } : {}),
                options: {
                  temperature: samples > 1 ? 0.7 : 0,
                  ...(request.maxTokens ? { num_predict: request.maxTokens } : {}),
                },
              },
              { signal: request.signal, deadlineMs: remaining() },
            )
            .then(
              (result) => ({ result }),
              (error: unknown) => ({ error }),
            ),
        ),
      );
      const judged: {
        text: string;
        value: T | undefined;
        valid: boolean;
        self?: number;
        host: string;
        model: string;
      }[] = [];
      for (const attempt of attempts) {
        const at = this.clock();
        if ('error' in attempt) {
          const error =
            attempt.error instanceof PoolError ? attempt.error : new PoolError('INTERNAL', String(attempt.error));
          if (error.code === 'CANCELLED') throw error;
          failures.push(`${tier}: ${error.code}`);
          if (error.code !== 'NO_HEALTHY_HOST') {
            const step = this.price(
              {
                backend: 'ollama',
                host: error.host,
                model: ollama!.modelFor(tier),
                tier,
                inputTokens: 0,
                outputTokens: 0,
                latencyMs: 0,
                outcome: 'error',
                errorCode: error.code,
              },
              { inputTokens: 0, outputTokens: 0 },
              at,
            );
            steps.push(step);
            await this.record(step, request as CompleteRequest<unknown>, at);
          }
          continue;
        }
        const { result } = attempt;
        const verdict = judge(result.content, request.schema);
        judged.push({
          text: result.content,
          value: verdict.value,
          valid: verdict.signals.validity === 1,
          self: verdict.signals.self,
          host: result.host,
          model: result.model,
        });
        const step = this.price(
          {
            backend: 'ollama',
            host: result.host,
            model: result.model,
            tier,
            inputTokens: result.promptTokens,
            outputTokens: result.outputTokens,
            latencyMs: result.latencyMs,
            outcome: 'ok',
            confidence: combineConfidence(verdict.signals),
            ...(result.substitution ? { substitution: result.substitution } : {}),
          },
          { inputTokens: result.promptTokens, outputTokens: result.outputTokens },
          at,
        );
        steps.push(step);
        await this.record(step, request as CompleteRequest<unknown>, at);
      }
      const valid = judged.filter((j) => j.valid);
      if (judged.length === 0) continue;
      let chosen = judged[0]!;
      let confidence = 0;
      if (valid.length > 0) {
        const { share, modal } = agreement(valid.map((v) => v.value));
        chosen = valid[modal]!;
        confidence = combineConfidence({
          validity: 1,
          ...(chosen.self !== undefined ? { self: chosen.self } : {}),
          ...(samples > 1 ? { agreement: (share * valid.length) / judged.length } : {}),
        });
      }
      const candidate: Candidate<T> = {
        value: valid.length ? chosen.value : undefined,
        text: chosen.text,
        confidence,
        answeredBy: { backend: 'ollama', host: chosen.host, model: chosen.model },
      };
      if (!best || candidate.confidence > best.confidence) best = candidate;
      if (confidence >= threshold) return this.finish(candidate, threshold, steps);
      const ladder = ladders[request.tier ?? 'small'];
      const next = ladder[ladder.indexOf(tier) + 1] ?? (this.options.claude ? 'claude' : undefined);
      if (next)
        this.options.events?.emit('escalation', {
          from: tier,
          to: next,
          confidence,
          threshold,
          ...(request.tool ? { tool: request.tool } : {}),
        });
    }
    let budgetExceeded = false;
    if (this.options.claude && !(await this.withinBudget())) budgetExceeded = true;
    if (this.options.claude && !budgetExceeded) {
      const at = this.clock();
      try {
        const result = await this.options.claude.complete(
          {
            ...(request.system ? { system: request.system } : {}),
            messages: request.messages ?? [{ role: 'user', content: request.prompt ?? '' }],
            maxTokens: request.maxTokens ?? 1024,
          },
          { signal: request.signal, deadlineMs: remaining() },
        );
        const verdict = judge(result.content, request.schema);
        const confidence = combineConfidence(verdict.signals);
        const usage: TokenUsage = {
          inputTokens: result.inputTokens,
          outputTokens: result.outputTokens,
          cacheWrite5mTokens: result.cacheWrite5mTokens,
          cacheWrite1hTokens: result.cacheWrite1hTokens,
          cacheReadTokens: result.cacheReadTokens,
        };
        const step = this.price(
          {
            backend: 'claude',
            model: result.model,
            inputTokens:
              result.inputTokens + result.cacheWrite5mTokens + result.cacheWrite1hTokens + result.cacheReadTokens,
            outputTokens: result.outputTokens,
            latencyMs: result.latencyMs,
            outcome: 'ok',
            confidence,
          },
          usage,
          at,
        );
        steps.push(step);
        await this.record(step, request as CompleteRequest<unknown>, at);
        const spent = await this.claudeSpentToday();
        spent.usd += step.costUsd;
        const candidate: Candidate<T> = {
          value: verdict.value,
          text: result.content,
          confidence,
          answeredBy: { backend: 'claude', model: result.model },
        };
        if (!best || verdict.signals.validity === 1 || candidate.confidence >= best.confidence)
          return this.finish(candidate, threshold, steps);
      } catch (error) {
        const failure = error instanceof PoolError ? error : new PoolError('INTERNAL', String(error));
        if (failure.code === 'CANCELLED') throw failure;
        failures.push(`claude: ${failure.code}`);
        const step = this.price(
          {
            backend: 'claude',
            model: this.options.claude.config.model,
            inputTokens: 0,
            outputTokens: 0,
            latencyMs: 0,
            outcome: 'error',
            errorCode: failure.code,
          },
          { inputTokens: 0, outputTokens: 0 },
          at,
        );
        steps.push(step);
        await this.record(step, request as CompleteRequest<unknown>, at);
      }
    }
    if (best) return { ...this.finish(best, threshold, steps), ...(budgetExceeded ? { budgetExceeded: true } : {}) };
    if (budgetExceeded)
      throw new PoolError(
        'BUDGET_EXCEEDED',
        `the Claude budget of $${this.options.claudeBudgetUsdPerDay} for today is spent and no local model answered`,
      );
    const configured =
      !ollama && !this.options.claude ? ' No Ollama host and no Claude key are configured; see getSystemStatus.' : '';
    throw new PoolError(
      'NO_HEALTHY_HOST',
      `no LLM backend answered${failures.length ? ` (${failures.join(', ')})` : ''}.${configured}`,
    );
  }

  private finish<T>(candidate: Candidate<T>, threshold: number, steps: LlmStep[]): CompleteResult<T> {
    return { ...candidate, threshold, lowConfidence: candidate.confidence < threshold, steps };
  }
}
