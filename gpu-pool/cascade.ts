// complete(): the confidence cascade. It tries the cheapest suitable local tier first, escalates to
// larger local tiers while the answer's confidence (see confidence.ts) is below the threshold, and
// last asks Claude. Without a Claude key it returns the best local answer marked lowConfidence,
// never an error that hides it. Every attempt is priced and returned as a step for the caller's
// execution block; the attempts of one call are written to the ledger together, with the call's
// outcome (accepted locally, escalated, failed) and the saving it really made.
import { randomUUID } from 'node:crypto';
import type { z } from 'zod';
import type { ClaudeBackend } from './claude-backend.js';
import { agreement, combineConfidence, judge, logprobSignal } from './confidence.js';
import type { CallOutcome, CallSummary, CostLedger, LedgerEntry } from './ledger.js';
import type { EventEmitter } from 'node:events';
import { localCostUsd, type LocalRate } from './local-cost.js';
import type { OllamaPool, PoolEvents, Tier, TierSubstitution } from './ollama-pool.js';
import {
  claudeCostBound,
  LocalClaudeBudget,
  type BudgetGrant,
  type BudgetRefusal,
  type ClaudeBudget,
} from './claude-budget.js';
import { PoolError } from './pool-error.js';
import { priceCall, priceTableVersion, type TokenUsage } from './prices.js';
import {
  toOllamaMessages,
  toOllamaTools,
  type ConversationMessage,
  type ToolCall,
  type ToolDefinition,
} from './tool-calls.js';

export interface LlmStep {
  backend: 'ollama' | 'claude';
  host?: string;
  model: string;
  tier?: Tier;
  inputTokens: number;
  outputTokens: number;
  /** What this attempt cost: Claude at its price, local model time at the host's rate. */
  costUsd: number;
  /** The call's all-Claude baseline and booked saving, on the step that ends the call; 0 on the others. */
  baselineCostUsd: number;
  savingUsd: number;
  latencyMs: number;
  confidence?: number;
  /** accepted: returned and met the threshold; rejected: answered, but invalid or below it; error: no answer. */
  outcome: 'accepted' | 'rejected' | 'error';
  errorCode?: string;
  /** Why the step was rejected or failed: the first schema issue, timeout, refusal, no model, budget, host error. */
  reason?: string;
  /** The price row used, e.g. "claude-sonnet-5-5@2024-01-01". */
  priceVersion?: string;
  localRate?: LocalRate;
  /** Set on the step that ends the call (the accepted one, or the last). */
  call?: CallSummary;
  /** False for a step that never reached a backend (no host serves the tier); it is not in the ledger. */
  sent: boolean;
  flags: string[];
  /** Set when the tier was served by another model than the one it wants, and why. */
  substitution?: TierSubstitution;
}

export interface CompleteRequest<T> {
  prompt?: string;
  /** A conversation; with `tools`, it may hold the assistant's tool calls and the tools' results. */
  messages?: ConversationMessage[];
  system?: string;
  /**
   * Tools the model may call, sent natively (Ollama's `tools`, Anthropic's `tools`). A reply that
   * calls tools comes back as `toolCalls`; one that answers in words, as `text`.
   */
  tools?: ToolDefinition[];
  /**
   * Checks a reply's tool calls (an unknown tool, arguments that fail its schema): a reason makes
   * the attempt `rejected`, so the cascade escalates as it does for invalid structured output.
   */
  validateToolCalls?: (calls: ToolCall[]) => string | undefined;
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
  /** The chosen answer's tool calls, when the request offered tools and the model called some. */
  toolCalls?: ToolCall[];
  confidence: number;
  threshold: number;
  lowConfidence: boolean;
  answeredBy: { backend: 'ollama' | 'claude'; host?: string; model: string };
  steps: LlmStep[];
  /** The call's outcome and figures, as booked in the ledger. */
  call: CallSummary;
  /** Set when Claude was skipped because the day's Claude budget was spent. */
  budgetExceeded?: boolean;
}

export interface CascadeOptions {
  ollama: OllamaPool | undefined;
  claude: ClaudeBackend | undefined;
  ledger: CostLedger;
  /** The Claude model that prices the all-Claude baseline. */
  baselineModel: string;
  /** What an hour of model time costs on a host; unconfigured hosts are $0 and say so. */
  localRate?: (host: string | undefined) => LocalRate;
  defaultThreshold: number;
  clock?: () => Date;
  onWarning?: (event: string, fields: Record<string, unknown>) => void;
  /** Typed pool events: escalations and budget. */
  events?: EventEmitter<PoolEvents>;
  /** Claude spend allowed per UTC day; past it, escalations stop at the best local answer. */
  claudeBudgetUsdPerDay?: number;
  /** Where the day's spend and open reservations are kept: this process, or PostgreSQL for several instances. */
  budget?: ClaudeBudget;
}

const unconfiguredRate: LocalRate = { basis: 'unconfigured', usdPerHour: 0 };

/** A failed attempt's reason, by kind, from the pool error. */
export function failureReason(error: PoolError): string {
  switch (error.code) {
    case 'HOST_TIMEOUT':
      return `timeout: ${error.message}`;
    case 'NO_HEALTHY_HOST':
      // Either no healthy host, or none that serves a usable model: the message says which.
      return `no healthy host serves the tier: ${error.message}`;
    case 'BUDGET_EXCEEDED':
      return `budget: ${error.message}`;
    case 'INTERNAL':
      return `internal error: ${error.message}`;
    default:
      return `host error (${error.code}): ${error.message}`;
  }
}

const ladders: Record<Tier, Tier[]> = {
  micro: ['micro', 'small', 'full', 'large'],
  small: ['small', 'full', 'large'],
  full: ['full', 'large'],
  large: ['large'],
  code: ['code', 'large'],
  embed: [],
};

export class Cascade {
  private readonly clock: () => Date;
  private readonly budget: ClaudeBudget;
  /**
   * Each call's id, keyed by its steps: the ledger rows carry it, and every request to a host
   * carries it as `x-request-id`, so a host's own log and the ledger can be matched call by call.
   */
  private readonly callIds = new WeakMap<LlmStep[], string>();

  constructor(private readonly options: CascadeOptions) {
    this.clock = options.clock ?? (() => new Date());
    this.budget = options.budget ?? new LocalClaudeBudget((day) => this.claudeSpentOn(day), this.clock);
  }

  get claudeConfigured(): boolean {
    return this.options.claude !== undefined;
  }

  /** Prices one attempt: Claude at its dated price, local model time at the host's rate. */
  private price(
    step: Omit<LlmStep, 'costUsd' | 'baselineCostUsd' | 'savingUsd' | 'flags' | 'sent' | 'localRate'>,
    usage: TokenUsage,
    at: Date,
    sent = true,
  ): LlmStep {
    step = { ...step, latencyMs: Number(step.latencyMs.toFixed(3)) }; // as the ledger keeps it
    const flags: string[] = [];
    let costUsd = 0;
    let priceVersion: string | undefined;
    let localRate: LocalRate | undefined;
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
      localRate = this.options.localRate?.(step.host) ?? unconfiguredRate;
      costUsd = localCostUsd(localRate, step.latencyMs);
    }
    return {
      ...step,
      costUsd,
      baselineCostUsd: 0,
      savingUsd: 0,
      flags,
      sent,
      ...(priceVersion ? { priceVersion } : {}),
      ...(localRate ? { localRate } : {}),
    };
  }

  /** A step that got no answer: nothing was generated, and the reason says why. */
  private unanswered(
    backend: LlmStep['backend'],
    model: string,
    errorCode: string,
    reason: string,
    at: Date,
    sent = true,
    host?: string,
    tier?: Tier,
  ): LlmStep {
    return this.price(
      {
        backend,
        ...(host ? { host } : {}),
        model,
        ...(tier ? { tier } : {}),
        inputTokens: 0,
        outputTokens: 0,
        latencyMs: 0,
        outcome: 'error',
        errorCode,
        reason,
      },
      { inputTokens: 0, outputTokens: 0 },
      at,
      sent,
    );
  }

  /** The all-Claude baseline for an answer of these tokens. */
  private baseline(usage: TokenUsage, at: Date): { usd: number; priceVersion?: string } {
    const baseline = priceCall(this.options.baselineModel, usage, at);
    if (!baseline.known) {
      this.options.onWarning?.('unknown_baseline_price', { model: this.options.baselineModel });
      return { usd: 0 };
    }
    return { usd: baseline.usd, priceVersion: baseline.priceVersion };
  }

  /**
   * Closes the call: its outcome, cost and saving go on the step that ends it (the accepted one, or
   * the last), and every sent step goes to the ledger in one write.
   */
  private async settle(
    steps: LlmStep[],
    request: CompleteRequest<unknown>,
    threshold: number,
    end: { outcome: CallOutcome; accepted?: LlmStep; usage?: TokenUsage; reason?: string },
  ): Promise<CallSummary> {
    const at = this.clock();
    const sent = steps.filter((step) => step.sent);
    const local = sent.filter((step) => step.backend === 'ollama');
    const localComputeUsd = local.reduce((sum, step) => sum + step.costUsd, 0);
    const claudeUsd = sent.filter((step) => step.backend === 'claude').reduce((sum, step) => sum + step.costUsd, 0);
    const costUsd = localComputeUsd + claudeUsd;
    const baseline = end.outcome !== 'failed' && end.usage ? this.baseline(end.usage, at) : { usd: 0 };
    const answeredLocally = end.accepted?.backend === 'ollama' && end.outcome !== 'failed';
    const call: CallSummary = {
      outcome: end.outcome,
      ...(end.accepted && end.outcome !== 'failed' ? { answeredBy: end.accepted.backend } : {}),
      attempts: sent.length,
      localAttempts: local.length,
      threshold,
      costUsd,
      localComputeUsd,
      claudeUsd,
      baselineModel: this.options.baselineModel,
      ...(baseline.priceVersion ? { baselinePriceVersion: baseline.priceVersion } : {}),
      baselineCostUsd: baseline.usd,
      savingUsd: answeredLocally ? baseline.usd - costUsd : 0,
      savingExcludingLocalUsd: answeredLocally ? baseline.usd - claudeUsd : 0,
      ...(end.reason ? { reason: end.reason } : {}),
    };
    const carrier = end.accepted ?? sent.at(-1) ?? steps.at(-1);
    if (carrier) {
      carrier.call = call;
      carrier.baselineCostUsd = call.baselineCostUsd;
      carrier.savingUsd = call.savingUsd;
    }
    if (!carrier?.sent) return call; // nothing reached a backend: nothing was spent, nothing to book
    const callId = this.callIds.get(steps) ?? randomUUID();
    const entries: LedgerEntry[] = sent.map((step) => ({
      v: 2,
      ts: at.toISOString(),
      callId,
      tool: request.tool,
      supervisor: request.supervisor,
      backend: step.backend,
      host: step.host,
      model: step.model,
      ...(step.tier ? { tier: step.tier } : {}),
      inputTokens: step.inputTokens,
      outputTokens: step.outputTokens,
      cacheWriteTokens: 0,
      cacheReadTokens: 0,
      latencyMs: Number(step.latencyMs.toFixed(3)),
      costUsd: step.costUsd,
      baselineCostUsd: step.baselineCostUsd,
      savingUsd: step.savingUsd,
      priceVersion: step.priceVersion,
      priceTable: priceTableVersion,
      outcome: step.outcome,
      errorCode: step.errorCode,
      reason: step.reason,
      confidence: step.confidence,
      ...(step.localRate ? { localRate: step.localRate } : {}),
      ...(step.call ? { call: step.call } : {}),
      flags: step.flags,
    }));
    try {
      await this.options.ledger.appendAll(entries);
    } catch (error) {
      // The answer is not thrown away because the ledger could not be written; the gap is reported.
      this.options.onWarning?.('ledger_write_failed', { error: (error as Error).message });
    }
    return call;
  }

  /** The Claude spend the ledger holds for a UTC day: the budget's starting point for that day. */
  private async claudeSpentOn(day: string): Promise<number> {
    const summary = await this.options.ledger.summarize({ groupBy: 'backend', since: new Date(`${day}T00:00:00Z`) });
    return summary.breakdown.claudeUsd + (summary.legacy?.claudeUsd ?? 0);
  }

  private async settleClaude(grant: BudgetGrant, actualUsd: number): Promise<void> {
    try {
      await this.budget.settle(grant, actualUsd);
    } catch (error) {
      // Unsettled, the reservation counts as spent at its bound when it expires: never under.
      this.options.onWarning?.('claude_budget_unavailable', { error: (error as Error).message });
    }
  }

  /**
   * Reserves this Claude call's most possible cost against the day's budget. Undefined: no budget
   * is set. A refusal emits a
   * budget event. A budget store that fails refuses the call: the budget is a promise to the user.
   */
  private async reserveClaude(
    request: { system?: string; messages: unknown; tools?: unknown; maxTokens: number },
    deadlineMs: number,
  ): Promise<BudgetGrant | 'refused' | undefined> {
    const budgetUsd = this.options.claudeBudgetUsdPerDay;
    if (budgetUsd === undefined) return undefined;
    const bound = claudeCostBound(this.options.claude!.config.model, request, this.clock());
    let answer: BudgetGrant | BudgetRefusal;
    try {
      answer = await this.budget.reserve(bound, budgetUsd, deadlineMs + 60_000);
    } catch (error) {
      this.options.onWarning?.('claude_budget_unavailable', { error: (error as Error).message });
      return 'refused';
    }
    if (answer.granted) return answer;
    this.options.events?.emit('budget', { spentUsd: answer.committedUsd, budgetUsd, day: answer.day });
    return 'refused';
  }

  async complete<T = string>(request: CompleteRequest<T>): Promise<CompleteResult<T>> {
    const threshold = request.threshold ?? this.options.defaultThreshold;
    const steps: LlmStep[] = [];
    this.callIds.set(steps, randomUUID());
    try {
      return await this.run(request, threshold, steps);
    } catch (error) {
      const failure =
        error instanceof PoolError ? error : new PoolError('INTERNAL', String(error), undefined, { cause: error });
      const reason =
        failure.code === 'CANCELLED' ? 'cancelled' : (steps.find((s) => s.reason)?.reason ?? failureReason(failure));
      await this.settle(steps, request as CompleteRequest<unknown>, threshold, { outcome: 'failed', reason });
      failure.steps = steps;
      throw failure;
    }
  }

  private async run<T>(request: CompleteRequest<T>, threshold: number, steps: LlmStep[]): Promise<CompleteResult<T>> {
    const deadlineMs = request.deadlineMs ?? 120_000;
    const started = performance.now();
    const remaining = () => Math.max(1, deadlineMs - (performance.now() - started));
    const conversation: ConversationMessage[] = request.messages ?? [{ role: 'user', content: request.prompt ?? '' }];
    const messages = [
      ...(request.system ? [{ role: 'system', content: request.system }] : []),
      ...toOllamaMessages(conversation),
    ];
    const tools = request.tools?.length ? toOllamaTools(request.tools) : undefined;
    let best: (Candidate<T> & { step: LlmStep; usage: TokenUsage }) | undefined;
    const failures: string[] = [];
    const samples = Math.max(1, Math.min(9, request.samples ?? 1));
    const ollama = this.options.ollama;
    const ladder = ollama ? ladders[request.tier ?? 'small'] : [];
    let firstSentTier: Tier | undefined;
    const finish = async (
      candidate: Candidate<T> & { step: LlmStep; usage: TokenUsage },
      extra: { budgetExceeded?: boolean } = {},
    ): Promise<CompleteResult<T>> => {
      const met = candidate.confidence >= threshold;
      const outcome: CallOutcome = !met
        ? 'failed'
        : candidate.answeredBy.backend === 'ollama' && candidate.step.tier === firstSentTier
          ? 'accepted_local'
          : 'escalated';
      if (met) candidate.step.outcome = 'accepted';
      else candidate.step.reason ??= `below the confidence threshold (${candidate.confidence} < ${threshold})`;
      const firstReason = steps.find((s) => s.reason && s !== candidate.step)?.reason;
      const call = await this.settle(steps, request as CompleteRequest<unknown>, threshold, {
        outcome,
        accepted: candidate.step,
        usage: candidate.usage,
        ...(outcome === 'failed'
          ? {
              reason:
                steps.find((s) => s.errorCode === 'BUDGET_EXCEEDED')?.reason ?? candidate.step.reason ?? firstReason,
            }
          : outcome === 'escalated' && firstReason
            ? { reason: firstReason }
            : {}),
      });
      return {
        value: candidate.value,
        text: candidate.text,
        ...(candidate.toolCalls ? { toolCalls: candidate.toolCalls } : {}),
        confidence: candidate.confidence,
        answeredBy: candidate.answeredBy,
        threshold,
        lowConfidence: !met,
        steps,
        call,
        ...extra,
      };
    };
    const asked = new Set<string>();
    for (const tier of ladder) {
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
                requestId: this.callIds.get(steps),
                ...(tools ? { tools } : {}),
                ...(request.schema && !tools ? { format: 'json' } : {}),
                logprobs: true,
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
        toolCalls?: ToolCall[];
        valid: boolean;
        self?: number;
        logprob?: number;
        host: string;
        model: string;
        step: LlmStep;
        usage: TokenUsage;
      }[] = [];
      for (const attempt of attempts) {
        const at = this.clock();
        if ('error' in attempt) {
          const error =
            attempt.error instanceof PoolError
              ? attempt.error
              : new PoolError('INTERNAL', String(attempt.error), undefined, { cause: attempt.error });
          if (error.code === 'CANCELLED') throw error;
          failures.push(`${tier}: ${error.code}`);
          const sent = error.code !== 'NO_HEALTHY_HOST';
          if (sent) firstSentTier ??= tier;
          steps.push(
            this.unanswered(
              'ollama',
              ollama!.modelFor(tier),
              error.code,
              failureReason(error),
              at,
              sent,
              error.host,
              tier,
            ),
          );
          continue;
        }
        firstSentTier ??= tier;
        const { result } = attempt;
        const verdict = judgeReply(result.content, result.toolCalls, request);
        const logprob = logprobSignal(result.logprobs);
        const signals = { ...verdict.signals, ...(logprob !== undefined ? { logprob } : {}) };
        const confidence = combineConfidence(signals);
        const cut = result.doneReason === 'length' ? ' (the answer was cut at the token limit)' : '';
        const usage = { inputTokens: result.promptTokens, outputTokens: result.outputTokens };
        const step = this.price(
          {
            backend: 'ollama',
            host: result.host,
            model: result.model,
            tier,
            inputTokens: result.promptTokens,
            outputTokens: result.outputTokens,
            latencyMs: result.latencyMs,
            outcome: 'rejected',
            confidence,
            ...(verdict.error ? { reason: `${verdict.error}${cut}` } : {}),
            ...(result.substitution ? { substitution: result.substitution } : {}),
          },
          usage,
          at,
        );
        steps.push(step);
        judged.push({
          text: result.content,
          value: verdict.value,
          ...(result.toolCalls ? { toolCalls: result.toolCalls } : {}),
          valid: verdict.signals.validity === 1,
          ...(verdict.signals.self !== undefined ? { self: verdict.signals.self } : {}),
          ...(logprob !== undefined ? { logprob } : {}),
          host: result.host,
          model: result.model,
          step,
          usage,
        });
      }
      const valid = judged.filter((j) => j.valid);
      if (judged.length === 0) continue;
      let chosen = judged[0]!;
      let confidence = 0;
      if (valid.length > 0) {
        // Samples agree when they call the same tools with the same arguments (ids aside).
        const { share, modal } = agreement(
          valid.map((v) =>
            v.toolCalls ? v.toolCalls.map((c) => ({ name: c.name, arguments: c.arguments })) : v.value,
          ),
        );
        chosen = valid[modal]!;
        confidence = combineConfidence({
          validity: 1,
          ...(chosen.self !== undefined ? { self: chosen.self } : {}),
          ...(chosen.logprob !== undefined ? { logprob: chosen.logprob } : {}),
          ...(samples > 1 ? { agreement: (share * valid.length) / judged.length } : {}),
        });
      }
      const candidate = {
        value: valid.length ? chosen.value : undefined,
        text: chosen.text,
        ...(chosen.toolCalls ? { toolCalls: chosen.toolCalls } : {}),
        confidence,
        answeredBy: { backend: 'ollama' as const, host: chosen.host, model: chosen.model },
        step: chosen.step,
        usage: chosen.usage,
      };
      if (!best || candidate.confidence > best.confidence) best = candidate;
      if (confidence >= threshold) return finish(candidate);
      chosen.step.reason ??= `below the confidence threshold (${confidence} < ${threshold})`;
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
    const claudeRequest = this.options.claude
      ? {
          ...(request.system ? { system: request.system } : {}),
          messages: conversation,
          maxTokens: request.maxTokens ?? 1024,
          ...(request.tools?.length ? { tools: request.tools } : {}),
        }
      : undefined;
    let grant = claudeRequest ? await this.reserveClaude(claudeRequest, remaining()) : undefined;
    if (this.options.claude && grant === 'refused') {
      budgetExceeded = true;
      // Claude is skipped, not called: a step that was never sent, so the reason shows and nothing is booked.
      steps.push(
        this.unanswered(
          'claude',
          this.options.claude.config.model,
          'BUDGET_EXCEEDED',
          `budget: the Claude budget of $${this.options.claudeBudgetUsdPerDay} for today is spent`,
          this.clock(),
          false,
        ),
      );
    }
    if (this.options.claude && !budgetExceeded) {
      const at = this.clock();
      try {
        const result = await this.options.claude.complete(
          { ...claudeRequest!, requestId: this.callIds.get(steps) },
          { signal: request.signal, deadlineMs: remaining() },
        );
        // Settled as soon as the answer is in, before anything that could throw: a billed answer is
        // never settled at $0. An answer the price table cannot price keeps its whole reservation.
        if (grant && grant !== 'refused') {
          const priced = priceCall(
            result.model,
            {
              inputTokens: result.inputTokens,
              outputTokens: result.outputTokens,
              cacheWrite5mTokens: result.cacheWrite5mTokens,
              cacheWrite1hTokens: result.cacheWrite1hTokens,
              cacheReadTokens: result.cacheReadTokens,
            },
            at,
          );
          await this.settleClaude(grant, priced.known ? priced.usd : grant.boundUsd);
          grant = undefined;
        }
        const verdict = judgeReply(result.content, result.toolCalls, request);
        const confidence = combineConfidence(verdict.signals);
        const usage: TokenUsage = {
          inputTokens: result.inputTokens,
          outputTokens: result.outputTokens,
          cacheWrite5mTokens: result.cacheWrite5mTokens,
          cacheWrite1hTokens: result.cacheWrite1hTokens,
          cacheReadTokens: result.cacheReadTokens,
        };
        const refused = result.stopReason === 'refusal';
        const cut = result.stopReason === 'max_tokens' ? ' (the answer was cut at max tokens)' : '';
        const step = this.price(
          {
            backend: 'claude',
            model: result.model,
            inputTokens:
              result.inputTokens + result.cacheWrite5mTokens + result.cacheWrite1hTokens + result.cacheReadTokens,
            outputTokens: result.outputTokens,
            latencyMs: result.latencyMs,
            outcome: 'rejected',
            confidence: refused ? 0 : confidence,
            ...(refused
              ? { reason: 'refusal: Claude declined to answer' }
              : verdict.error
                ? { reason: `${verdict.error}${cut}` }
                : {}),
          },
          usage,
          at,
        );
        steps.push(step);
        const candidate = {
          value: refused ? undefined : verdict.value,
          text: result.content,
          ...(result.toolCalls && !refused ? { toolCalls: result.toolCalls } : {}),
          confidence: refused ? 0 : confidence,
          answeredBy: { backend: 'claude' as const, model: result.model },
          step,
          usage,
        };
        if (!best || (!refused && verdict.signals.validity === 1) || candidate.confidence >= best.confidence)
          return finish(candidate);
      } catch (error) {
        const failure = error instanceof PoolError ? error : new PoolError('INTERNAL', String(error));
        // A request the API refused with an error status (4xx, 5xx, 429) is not billed. Anything
        // else (a timeout, a cancel, a connection lost after the request went out) may have been,
        // and nobody can say how much: it keeps its whole reservation.
        if (grant && grant !== 'refused') {
          const notBilled = ['HOST_ERROR', 'BAD_REQUEST', 'MODEL_NOT_FOUND'].includes(failure.code);
          await this.settleClaude(grant, notBilled ? 0 : grant.boundUsd);
          grant = undefined;
        }
        if (failure.code === 'CANCELLED') throw failure;
        failures.push(`claude: ${failure.code}`);
        steps.push(
          this.unanswered('claude', this.options.claude.config.model, failure.code, failureReason(failure), at),
        );
      }
    }
    if (best) return finish(best, budgetExceeded ? { budgetExceeded: true } : {});
    if (budgetExceeded)
      throw new PoolError(
        'BUDGET_EXCEEDED',
        `the Claude budget of $${this.options.claudeBudgetUsdPerDay} for today is spent and no local model answered`,
      );
    const configured =
      !ollama && !this.options.claude ? ' No Ollama host and no Claude key are configured; see getSystemStatus.' : '';
    const reasons = steps.map((step) => step.reason).filter(Boolean);
    throw new PoolError(
      'NO_HEALTHY_HOST',
      `no LLM backend answered${reasons.length ? ` (${reasons.join('; ')})` : failures.length ? ` (${failures.join(', ')})` : ''}.${configured}`,
    );
  }
}

/**
 * A reply to a request that offered tools is judged by its tool calls when it made some (the
 * caller's validation decides), and as text otherwise; any other reply as before.
 */
function judgeReply<T>(text: string, toolCalls: ToolCall[] | undefined, request: CompleteRequest<T>) {
  if (!request.tools?.length || !toolCalls?.length)
    return judge(text, request.tools?.length ? undefined : request.schema);
  const problem = toolCalls.some((call) => !call.name)
    ? 'a tool call has no tool name'
    : request.validateToolCalls?.(toolCalls);
  return problem
    ? { value: undefined, text, signals: { validity: 0 as const }, error: `tool calls: ${problem}` }
    : { value: undefined, text, signals: { validity: 1 as const } };
}

interface Candidate<T> {
  value: T | undefined;
  text: string;
  toolCalls?: ToolCall[];
  confidence: number;
  answeredBy: CompleteResult<T>['answeredBy'];
}
