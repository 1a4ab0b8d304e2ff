// Internal tools over the models on the Ollama hosts, asked live: what each host has installed and
// loaded (sizes, quantisation, VRAM, expiry), one model's details, and deleting a model from disk.
import { z } from 'zod';
import { PoolError } from '../../gpu-pool/pool-error.js';
import { defineTool } from '../define-tool.js';
import { InputError, ToolError } from '../errors.js';
import { requireHost } from './pool-tools.js';

/** Most models listed per host; a host with more says it was cut. */
const maxModelsPerHost = 500;

const gib = (bytes: number) => Number((bytes / 1024 ** 3).toFixed(2));

/** A host that cannot answer is unavailable, not our bug; a model it lacks is the caller's to fix. */
function mapPoolError(error: unknown, field: string, known?: () => Promise<string[]>): Promise<never> {
  return (async () => {
    if (!(error instanceof PoolError)) throw error;
    if (error.code === 'CANCELLED') throw new ToolError('CANCELLED', error.message, { cause: error });
    if (error.code === 'MODEL_NOT_FOUND') {
      const names = known ? await known().catch(() => []) : [];
      throw new InputError(field, `${error.message}; the host has: ${names.join(', ') || 'no models'}`);
    }
    if (error.code === 'BAD_REQUEST') throw new InputError(field, error.message);
    throw new ToolError('UNAVAILABLE', error.message, { cause: error });
  })();
}

const modelRow = z.object({
  name: z.string(),
  sizeGiB: z.number().describe('size on disk, GiB'),
  family: z.string(),
  parameterSize: z.string().describe('e.g. "4.0B"'),
  quantization: z.string().describe('e.g. "Q4_K_M"'),
  modifiedAt: z.string(),
  loaded: z.boolean().describe('true when the model is in memory now'),
  vramGiB: z.number().optional().describe('VRAM it holds while loaded'),
  expiresAt: z.string().optional().describe('when Ollama will unload it if unused'),
  contextLength: z.number().int().optional().describe('context length it was loaded with'),
});

const hostModels = z.object({
  host: z.string(),
  reachable: z.boolean(),
  error: z.string().optional().describe('why the host could not be asked'),
  models: z.array(modelRow),
  diskGiB: z.number().describe('total size of the models listed'),
  truncated: z.boolean(),
});

export const listModels = defineTool({
  name: 'infrastructure_list_models',
  domain: 'infrastructure',
  tags: ['ollama', 'models', 'installed', 'loaded', 'quantization', 'size', 'disk'],
  requests: [
    'list the models installed on each Ollama host with their sizes',
    'which quantisation does each local model use',
    'how much disk do the models take on the GPU box',
    'which models are in memory right now and when do they expire',
    'what parameter sizes are available locally',
  ],
  title: 'List models on the hosts',
  description:
    'Asks each Ollama host now (/api/tags and /api/ps) for its installed models: size on disk, family, parameter size, quantisation, modification date, and whether each is loaded in memory with its VRAM, expiry and context length. Use it to choose a model or find what takes disk or VRAM; filter by host, by a name fragment, or to the loaded ones. It does not probe generation or change anything; infrastructure_get_pool_status gives health and tiers. Example: {"host": "gpu1", "loadedOnly": false}',
  kind: { effect: 'readOnly', openWorld: true },
  input: z.object({
    host: z.string().min(1).optional().describe('One host by its configured name; default every host.'),
    match: z
      .string()
      .min(1)
      .max(200)
      .optional()
      .describe('Only models whose name contains this text (case-insensitive), e.g. "qwen".'),
    loadedOnly: z.boolean().default(false).describe('Only models loaded in memory now. Default false.'),
  }),
  output: z.object({
    hosts: z.array(hostModels),
    note: z.string().optional().describe('why no host was asked'),
  }),
  examples: [{}, { host: 'gpu1', loadedOnly: true }],
  async handler(input, context) {
    if (input.host) requireHost(context, input.host);
    const names = context.pool
      .status()
      .hosts.map((h) => h.name)
      .filter((name) => !input.host || name === input.host);
    if (names.length === 0) return { hosts: [], note: 'no Ollama host is configured (set CAELUM_OLLAMA_HOSTS)' };
    const match = input.match?.toLowerCase();
    const hosts = await Promise.all(
      names.map(async (host) => {
        try {
          const { installed, loaded } = await context.pool.listModels(host, context.signal);
          const resident = new Map(loaded.map((m) => [m.name, m]));
          const rows = installed
            .filter((m) => !match || m.name.toLowerCase().includes(match))
            .filter((m) => !input.loadedOnly || resident.has(m.name))
            .sort((a, b) => b.sizeBytes - a.sizeBytes || a.name.localeCompare(b.name));
          const kept = rows.slice(0, maxModelsPerHost);
          return {
            host,
            reachable: true,
            models: kept.map((m) => {
              const live = resident.get(m.name);
              return {
                name: m.name,
                sizeGiB: gib(m.sizeBytes),
                family: m.family,
                parameterSize: m.parameterSize,
                quantization: m.quantization,
                modifiedAt: m.modifiedAt,
                loaded: live !== undefined,
                ...(live ? { vramGiB: gib(live.vramBytes), expiresAt: live.expiresAt } : {}),
                ...(live?.contextLength !== undefined ? { contextLength: live.contextLength } : {}),
              };
            }),
            diskGiB: gib(kept.reduce((sum, m) => sum + m.sizeBytes, 0)),
            truncated: rows.length > kept.length,
          };
        } catch (error) {
          if (!(error instanceof PoolError) || error.code === 'CANCELLED') throw error;
          return { host, reachable: false, error: error.message, models: [], diskGiB: 0, truncated: false };
        }
      }),
    );
    return { hosts };
  },
  summarize: (o) =>
    o.note ??
    o.hosts
      .map((h) =>
        h.reachable
          ? [
              `${h.host}: ${h.models.length} models, ${h.diskGiB} GiB${h.truncated ? ' (list cut)' : ''}`,
              ...h.models.map(
                (m) =>
                  `  ${m.name} ${m.parameterSize} ${m.quantization} ${m.sizeGiB} GiB${m.loaded ? `; loaded, ${m.vramGiB} GiB VRAM until ${m.expiresAt}` : ''}`,
              ),
            ].join('\n')
          : `${h.host}: not reachable: ${h.error}`,
      )
      .join('\n'),
});

export const showModel = defineTool({
  name: 'infrastructure_show_model',
  domain: 'infrastructure',
  tags: [
    'ollama',
    'model',
    'details',
    'context',
    'template',
    'parameters',
    'capabilities',
    'tools',
    'vision',
    'license',
  ],
  requests: [
    'what context length does this local model support',
    'show the prompt template and parameters of an Ollama model',
    'does this model support tools or vision',
    'details of a model on a GPU host',
    'which license does the local model have',
  ],
  title: 'Show a model',
  description:
    'Asks an Ollama host for one model\'s details (/api/show): family, parameter count, quantisation, context length, capabilities (completion, tools for tool calling, vision, embedding, thinking), default parameters (stop, temperature...), prompt template, system prompt and the license\'s first lines. Use it before relying on a model for tools, long contexts or images. It does not load the model. Example: {"host": "gpu1", "model": "qwen3:4b"}',
  kind: { effect: 'readOnly', openWorld: true },
  input: z.object({
    host: z.string().min(1).describe('Host name as configured, e.g. "gpu1".'),
    model: z.string().min(1).max(200).describe('Model name as the host lists it, e.g. "qwen3:4b".'),
  }),
  output: z.object({
    host: z.string(),
    model: z.string(),
    family: z.string(),
    architecture: z.string().optional(),
    parameterSize: z.string(),
    parameterCount: z.number().optional(),
    quantization: z.string(),
    format: z.string(),
    contextLength: z.number().int().optional().describe('the longest context the model was trained for'),
    capabilities: z.array(z.string()),
    parameters: z.record(z.string(), z.array(z.string())).describe('default parameters, each with its values'),
    template: z.string().describe('the prompt template, cut at 4000 characters'),
    system: z.string(),
    license: z.string().describe('the first 300 characters of the license'),
    modifiedAt: z.string().optional(),
  }),
  examples: [{ host: 'gpu1', model: 'qwen3:4b' }],
  async handler(input, context) {
    requireHost(context, input.host);
    const details = await context.pool
      .showModel(input.host, input.model, context.signal)
      .catch((error: unknown) =>
        mapPoolError(error, 'model', async () =>
          (await context.pool.listModels(input.host, context.signal)).installed.map((m) => m.name),
        ),
      );
    // Ollama's parameters are "key value" lines; a key such as stop can repeat.
    const parameters: Record<string, string[]> = {};
    for (const line of details.parameters.split('\n')) {
      const [key, ...rest] = line.trim().split(/\s+/);
      if (!key) continue;
      (parameters[key] ??= []).push(rest.join(' '));
    }
    return {
      host: input.host,
      model: input.model,
      family: details.family,
      ...(details.architecture ? { architecture: details.architecture } : {}),
      parameterSize: details.parameterSize,
      ...(details.parameterCount !== undefined ? { parameterCount: details.parameterCount } : {}),
      quantization: details.quantization,
      format: details.format,
      ...(details.contextLength !== undefined ? { contextLength: details.contextLength } : {}),
      capabilities: details.capabilities,
      parameters,
      template: details.template.slice(0, 4000),
      system: details.system.slice(0, 4000),
      license: details.license.slice(0, 300),
      ...(details.modifiedAt ? { modifiedAt: details.modifiedAt } : {}),
    };
  },
  summarize: (o) =>
    [
      `${o.model} on ${o.host}: ${o.family} ${o.parameterSize} ${o.quantization}${o.contextLength ? `, context ${o.contextLength}` : ''}`,
      `capabilities: ${o.capabilities.join(', ') || 'none listed'}`,
      `parameters: ${
        Object.entries(o.parameters)
          .map(([k, v]) => `${k}=${v.join('|')}`)
          .join(', ') || 'none'
      }`,
    ].join('\n'),
});

export const deleteModel = defineTool({
  name: 'infrastructure_delete_model',
  domain: 'infrastructure',
  tags: ['ollama', 'model', 'delete', 'remove', 'uninstall', 'disk', 'cleanup'],
  requests: [
    'delete a model from an Ollama host to free disk',
    'remove an old model from the GPU server',
    'ollama rm a model on a host',
    'clean up unused local models',
  ],
  title: 'Delete a model from a host',
  description:
    'Deletes a model from an Ollama host\'s disk (ollama rm; a loaded copy goes too), then re-probes the host so routing stops sending it there. A tier that used the model falls back to another one or is not served until it is pulled again. Deleting a model the host does not have changes nothing and says so. Destructive: needs confirm: true. To free VRAM only, use infrastructure_unload_model. Example: {"host": "gpu1", "model": "llama3.1:8b"}',
  kind: { effect: 'destructive', openWorld: true, idempotent: true },
  input: z.object({
    host: z.string().min(1).describe('Host name as configured, e.g. "gpu1".'),
    model: z.string().min(1).max(200).describe('Model to delete, as the host lists it, e.g. "llama3.1:8b".'),
  }),
  output: z.object({
    host: z.string(),
    model: z.string(),
    deleted: z.boolean().describe('false when the host did not have the model'),
    freedGiB: z.number().describe('disk the model took'),
    remaining: z.array(z.string()).describe('the models the host has afterwards'),
  }),
  examples: [{ host: 'gpu1', model: 'llama3.1:8b' }],
  async handler(input, context) {
    requireHost(context, input.host);
    const inventory = () =>
      context.pool.listModels(input.host, context.signal).catch((error: unknown) => mapPoolError(error, 'host'));
    const before = await inventory();
    const wanted = input.model.includes(':') ? input.model : `${input.model}:latest`;
    const target = before.installed.find((m) => m.name === input.model || m.name === wanted);
    if (!target)
      return {
        host: input.host,
        model: input.model,
        deleted: false,
        freedGiB: 0,
        remaining: before.installed.map((m) => m.name),
      };
    await context.pool
      .deleteModel(input.host, target.name, context.signal)
      .catch((error: unknown) => mapPoolError(error, 'model'));
    const after = await inventory();
    return {
      host: input.host,
      model: target.name,
      deleted: true,
      freedGiB: gib(target.sizeBytes),
      remaining: after.installed.map((m) => m.name),
    };
  },
  summarize: (o) =>
    o.deleted
      ? `${o.model} deleted from ${o.host}, ${o.freedGiB} GiB freed; it still has: ${o.remaining.join(', ') || 'no models'}`
      : `${o.host} has no model ${o.model}; nothing deleted. Its models: ${o.remaining.join(', ') || 'none'}`,
});
