// One backend per configured host, by the API it speaks.
import type { PoolHostConfig } from './model-pool.js';
import { OllamaHost } from './ollama-host.js';
import { OpenAiHost } from './openai-host.js';
import type { PoolBackend } from './pool-backend.js';

export function createBackend(config: PoolHostConfig): PoolBackend {
  return config.api === 'openai' ? new OpenAiHost(config) : new OllamaHost(config);
}
