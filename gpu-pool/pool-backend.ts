// What the pool needs from one host, whatever API it speaks: Ollama's own REST API (ollama-host.ts)
// or the OpenAI chat-completions API that vLLM, llama.cpp's server, LM Studio and TGI serve
// (openai-host.ts). Routing, breakers, slots, the cascade and the ledger see only this interface.
import type {
  CallLimits,
  ChatRequest,
  ChatResult,
  HostDiscovery,
  InstalledModel,
  LoadedModel,
  ModelDetails,
} from './ollama-host.js';

export type HostApi = 'ollama' | 'openai';

export interface PoolBackend {
  readonly name: string;
  /** The host's URL without credentials. */
  readonly url: string;
  readonly api: HostApi;
  /** Version (when the API says it), the models it serves, and the ones resident in memory. */
  discover(limits: CallLimits): Promise<HostDiscovery>;
  chat(request: ChatRequest, limits: CallLimits): Promise<ChatResult>;
  embed(model: string, input: string[], limits: CallLimits): Promise<{ embeddings: number[][]; promptTokens: number }>;
  /** A deep probe: one generated token from `model` within the deadline. */
  probe(model: string, limits: CallLimits): Promise<{ latencyMs: number }>;
  /** A cheap liveness check that touches no model. */
  ping(limits: CallLimits): Promise<void>;
  inventory(limits: CallLimits): Promise<{ installed: InstalledModel[]; loaded: LoadedModel[] }>;
  show(model: string, limits: CallLimits): Promise<ModelDetails>;
  /** Model management (pull, unload, delete) is Ollama's; other APIs refuse it with BAD_REQUEST. */
  remove(model: string, limits: CallLimits): Promise<void>;
  unload(model: string, limits: CallLimits): Promise<void>;
  pull(
    model: string,
    onProgress: (status: string, completed?: number, total?: number) => void,
    limits: CallLimits,
  ): Promise<void>;
  close(): Promise<void>;
}
