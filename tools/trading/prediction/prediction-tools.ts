// trading_predict_symbols and trading_list_models: predictions for symbols from the registry's ONNX model or
// the remote service, and what is registered, loaded and failing. Each result names the model that
// answered (registry name, alias, checkpoint, sha256, trained-at, data-contract hash, backend).
import { z } from 'zod';
import { defineTool } from '../../define-tool.js';
import { InputError, ToolError } from '../../errors.js';
import { predictionBackends, type PredictionBackends } from './backends.js';
import { aliasNames, modelEntry } from './model-registry.js';
import { backendStatusSchema, checkpointViewSchema, predictionSchema } from './prediction-schemas.js';
import type { Prediction, PredictionBackend } from './prediction.js';

const symbol = z
  .string()
  .regex(/^[A-Za-z0-9.^=_-]{1,20}$/, 'a ticker such as SPX, BRK.B or ^GSPC')
  // A symbol becomes a URL path segment for the remote service: `.` or `..` there would be a dot segment.
  .refine((s) => !s.includes('..') && s !== '.', 'a ticker such as SPX, BRK.B or ^GSPC, without ".."');
/** Symbols one call may ask for: each is a model run or a request to the service. */
export const maxSymbols = 50;
const concurrency = 4;

export const predictSymbols = defineTool({
  name: 'trading_predict_symbols',
  domain: 'trading',
  tags: ['prediction', 'model', 'onnx', 'direction', 'confidence', 'expected return', 'volatility', 'risk'],
  requests: [
    'predict SPX',
    'what does the model say about these symbols',
    'expected 1, 5 and 20 day returns',
    'model prediction with confidence',
    'which model answered',
  ],
  title: 'Model predictions for symbols',
  description:
    "Runs the prediction model on one symbol or a list (≤ 50): direction (LONG/SHORT), confidence 0..1, expected returns over 1, 5 and 20 bars, volatility, risk score and the current price, with the model's identity (registry name, alias, checkpoint, sha256, trained-at, data-contract hash, backend). backend auto uses the registry's production ONNX model on the symbol's bars if one is registered, else the remote prediction service if configured. Does not trade. Example: { symbols: 'SPX' }",
  kind: { effect: 'readOnly' },
  input: z.object({
    symbols: z
      .union([symbol, z.array(symbol).min(1).max(maxSymbols)])
      .describe(
        `A symbol or a list of up to ${maxSymbols}, e.g. "SPX" or ["SPX", "NDX"]; bars come from the market data directory.`,
      ),
    model: z
      .string()
      .min(1)
      .max(200)
      .optional()
      .describe(
        'Registry name or alias: production (default), candidate, ohlc-mlp, ohlc-mlp@candidate, ohlc-mlp@<sha256 prefix>.',
      ),
    backend: z
      .enum(['auto', 'onnx', 'remote'])
      .default('auto')
      .describe('auto: the ONNX registry if it has a model, else the remote service; onnx or remote to force one.'),
  }),
  output: z.object({
    backend: z.enum(['onnx', 'remote']),
    predictions: z.array(predictionSchema),
    failed: z.array(z.object({ symbol: z.string(), error: z.string() })),
  }),
  examples: [{ symbols: 'SPX' }],
  async handler(input, context) {
    const backends = predictionBackends(context.environment);
    const backend = await chooseBackend(backends, input.backend, input.model);
    const symbols = [...new Set(typeof input.symbols === 'string' ? [input.symbols] : input.symbols)];
    const predictions: Prediction[] = [];
    const failed: { symbol: string; error: unknown }[] = [];
    let next = 0;
    const worker = async () => {
      while (next < symbols.length) {
        const item = symbols[next++]!;
        context.signal.throwIfAborted();
        try {
          predictions.push(await backend.predict({ symbol: item, model: input.model, signal: context.signal }));
        } catch (error) {
          if (context.signal.aborted) throw error;
          failed.push({ symbol: item, error });
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, symbols.length) }, worker));
    if (predictions.length === 0) throw allFailed(symbols, failed);
    const order = (s: string) => symbols.indexOf(s);
    predictions.sort((a, b) => order(a.symbol) - order(b.symbol));
    return {
      backend: backend.kind,
      predictions,
      failed: failed.map((f) => ({ symbol: f.symbol, error: (f.error as Error).message })),
    };
  },
  summarize: (o) =>
    [
      ...o.predictions.map(
        (p) =>
          `${p.symbol} ${p.direction} ${(p.confidence * 100).toFixed(1)}% (1d ${pct(p.expectedReturns['1d'])}, 5d ${pct(p.expectedReturns['5d'])}, 20d ${pct(p.expectedReturns['20d'])}; vol ${pct(p.volatility)}, risk ${p.riskScore.toFixed(2)}) at ${p.currentPrice} on ${p.asOf} — ${p.model.name}${p.model.alias ? `@${p.model.alias}` : ''} ${p.model.sha256.slice(0, 12)} via ${p.model.backend}`,
      ),
      ...o.failed.map((f) => `${f.symbol}: ${f.error}`),
    ].join('\n'),
});

/**
 * Every symbol failed. One symbol: its error itself, with its channel. Several: every symbol's
 * error in the asked order, as an input error if each was one, else as the first fault's ToolError.
 */
function allFailed(symbols: readonly string[], failed: { symbol: string; error: unknown }[]): Error {
  if (failed.length === 1) return failed[0]!.error as Error;
  failed.sort((a, b) => symbols.indexOf(a.symbol) - symbols.indexOf(b.symbol));
  const each = failed.map((f) => `${f.symbol}: ${(f.error as Error).message.slice(0, 400)}`).join(' | ');
  const fault = failed.find((f) => !(f.error instanceof InputError));
  if (!fault) return new InputError('symbols', `all ${failed.length} symbols failed: ${each}`);
  const code = fault.error instanceof ToolError ? fault.error.code : 'TOOL_FAILED';
  return new ToolError(code, `all ${failed.length} symbols failed: ${each}`, { cause: fault.error });
}

const pct = (x: number) => `${(x * 100).toFixed(2)}%`;

async function chooseBackend(
  backends: PredictionBackends,
  wanted: 'auto' | 'onnx' | 'remote',
  model: string | undefined,
): Promise<PredictionBackend> {
  if (wanted === 'onnx') return backends.onnx;
  if (wanted === 'remote') {
    if (backends.remote) return backends.remote;
    throw new InputError(
      'backend',
      'no remote prediction service is configured; set trading.predictionService.baseUrl (CAELUM_PREDICTION_URL) or use backend "onnx"',
    );
  }
  const registry = await backends.registry.read();
  const models = Object.values(registry.models);
  const hasProduction = models.some((m) => m.aliases.production);
  if ((model !== undefined && models.length > 0) || hasProduction) return backends.onnx;
  if (backends.remote) return backends.remote;
  throw new InputError(
    'backend',
    models.length > 0
      ? 'no registered model has the alias production and no prediction service is configured; set one with trading_set_model_alias or pass model'
      : 'no model is registered and no prediction service is configured; register an ONNX model with trading_register_model (alias "production"), or set trading.predictionService.baseUrl (CAELUM_PREDICTION_URL)',
  );
}

export const listModels = defineTool({
  name: 'trading_list_models',
  domain: 'trading',
  tags: ['models', 'registry', 'aliases', 'status', 'loaded', 'checkpoint', 'prediction service'],
  requests: [
    'which prediction models are registered',
    'is the model loaded',
    'what is production pointing at',
    'prediction service status and last error',
  ],
  title: 'Registered models and backend status',
  description:
    "Lists the model registry (models, their checkpoints with sha256, trained-at, data-contract hash, window and features, and which aliases point where) and each prediction backend's status: what is loaded and since when, predictions served, errors and the last one, and the remote breaker. Use it to see whether predictions can be made and by what. Example: {}",
  kind: { effect: 'readOnly' },
  input: z.object({
    name: z.string().min(1).max(63).optional().describe('Only this model; default all.'),
  }),
  output: z.object({
    registry: z.string(),
    models: z.array(
      z.object({
        name: z.string(),
        aliases: z.record(z.string(), z.string()),
        checkpoints: z.array(checkpointViewSchema),
      }),
    ),
    backends: z.array(backendStatusSchema),
  }),
  examples: [{}],
  async handler(input, context) {
    const backends = predictionBackends(context.environment);
    const registry = await backends.registry.read();
    if (input.name && !modelEntry(registry, input.name))
      throw new InputError(
        'name',
        `no model "${input.name}"; registered: ${Object.keys(registry.models).join(', ') || 'none'}`,
      );
    const loaded = new Map(backends.onnx.loadedModels().map((m) => [m.sha256, m]));
    const models = Object.entries(registry.models)
      .filter(([name]) => !input.name || name === input.name)
      .map(([name, model]) => ({
        name,
        aliases: model.aliases,
        checkpoints: model.checkpoints.map((c) => {
          const session = loaded.get(c.sha256);
          return {
            file: c.file,
            sha256: c.sha256,
            trainedAt: c.trainedAt,
            registeredAt: c.registeredAt,
            dataContractHash: c.dataContractHash,
            window: c.contract.window,
            features: c.contract.features,
            aliases: aliasNames.filter((a) => model.aliases[a] === c.sha256),
            loaded: session
              ? {
                  since: session.since,
                  predictions: session.predictions,
                  errors: session.errors,
                  ...(session.lastError ? { lastError: session.lastError } : {}),
                }
              : null,
          };
        }),
      }));
    return {
      registry: backends.registry.file,
      models,
      backends: [backends.onnx.status(), ...(backends.remote ? [backends.remote.status()] : [])],
    };
  },
  summarize: (o) =>
    [
      o.models.length === 0 ? `no model registered in ${o.registry}` : `${o.models.length} model(s) in ${o.registry}`,
      ...o.models.flatMap((m) =>
        m.checkpoints.map(
          (c) =>
            `${m.name} ${c.sha256.slice(0, 12)} trained ${c.trainedAt}${c.aliases.length ? ` [${c.aliases.join(', ')}]` : ''} window ${c.window} × ${c.features.length}: ${c.loaded ? `loaded since ${c.loaded.since}, ${c.loaded.predictions} predictions, ${c.loaded.errors} errors` : 'not loaded'}`,
        ),
      ),
      ...o.backends.map(
        (b) =>
          `${b.backend}${b.endpoint ? ` ${b.endpoint}` : ''}: ${b.predictions} predictions, ${b.errors} errors${b.breaker ? `, breaker ${b.breaker}` : ''}${b.lastError ? `; last error at ${b.lastError.at}: ${b.lastError.message}` : ''}`,
      ),
    ].join('\n'),
});
