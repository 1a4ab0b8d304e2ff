// PLACEHOLDER: replaced by the OpenAI-compatible backend (issue 22). Do not ship.
import type { PoolHostConfig } from './model-pool.js';
import type { PoolBackend } from './pool-backend.js';
import { PoolError } from './pool-error.js';

const refuse = (): Promise<never> => Promise.reject(new PoolError('BAD_REQUEST', 'not built yet'));

export class OpenAiHost implements PoolBackend {
  readonly name: string;
  readonly url: string;
  readonly api = 'openai' as const;
  constructor(config: PoolHostConfig) {
    this.name = config.name;
    this.url = config.url;
  }
  discover = refuse;
  chat = refuse;
  embed = refuse;
  probe = refuse;
  ping = refuse;
  inventory = refuse;
  show = refuse;
  remove = refuse;
  unload = refuse;
  pull = refuse;
  close = () => Promise.resolve();
}
