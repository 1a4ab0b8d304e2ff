// What every view is given: the JSON API, the live event stream, and actions (when turned on).
export interface Meta {
  ok: boolean;
  version: string;
  actions: boolean;
  csrf?: string;
  dataDir: string;
}

export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export interface AppContext {
  meta: Meta;
  /** GET /api/<path>?params; throws ApiFailure with the server's message on a non-2xx answer. */
  api<T = Record<string, unknown>>(
    path: string,
    params?: Record<string, string | number | boolean | undefined>,
  ): Promise<T>;
  /** POST /api/action with the CSRF token; the caller asks for confirmation first. */
  action(body: Record<string, unknown>): Promise<{ ok: boolean; text?: string; error?: string }>;
  /** Where a view asks the app to switch view (e.g. from a country to the Fleet view). */
  navigate(hash: string): void;
}

export interface View {
  id: string;
  title: string;
  /** Renders the view into `root`; `route` is the part of the hash after the view id (e.g. "DE"). */
  mount(root: HTMLElement, app: AppContext, route: string): Promise<void>;
  /** Live events while the view is shown: execution, pool, and any a watcher sends. */
  onEvent?(name: string, data: unknown): void;
  unmount?(): void;
}

export async function getJson<T>(
  path: string,
  params?: Record<string, string | number | boolean | undefined>,
): Promise<T> {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(params ?? {}))
    if (value !== undefined && value !== '') query.set(key, String(value));
  const url = `/api/${path}${query.size ? `?${query}` : ''}`;
  const response = await fetch(url, { headers: { accept: 'application/json' }, credentials: 'same-origin' });
  const body = (await response.json().catch(() => ({ error: `${response.status} ${response.statusText}` }))) as T & {
    error?: string;
  };
  if (!response.ok) throw new ApiFailure(response.status, body.error ?? `${response.status} ${response.statusText}`);
  return body;
}

/**
 * Runs `run` once a burst of events has been quiet for `waitMs`, and at least every `maxWaitMs`
 * while events keep coming, so a busy service still updates the page.
 */
export function throttle(run: () => void, waitMs: number, maxWaitMs: number): { schedule(): void; cancel(): void } {
  let timer: number | undefined;
  let firstAt: number | undefined;
  const fire = () => {
    clearTimeout(timer);
    timer = undefined;
    firstAt = undefined;
    run();
  };
  return {
    schedule() {
      const now = Date.now();
      firstAt ??= now;
      clearTimeout(timer);
      timer = window.setTimeout(fire, Math.max(0, Math.min(waitMs, firstAt + maxWaitMs - now)));
    },
    cancel() {
      clearTimeout(timer);
      timer = undefined;
      firstAt = undefined;
    },
  };
}
