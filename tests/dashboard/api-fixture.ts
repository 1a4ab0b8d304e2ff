// Calls the dashboard's API routes the way its HTTP server does (route by path, query parameters),
// for the view tests; an ApiError comes back as {status, error}.
import type { Suite } from '../../servers/composition.js';
import { ApiError } from '../../servers/dashboard/api.js';
import { dashboardRoutes } from '../../servers/dashboard/views/index.js';

export type Answer = { status: number; body: any };

export async function api(suite: Suite, path: string, query: Record<string, string> = {}): Promise<Answer> {
  const route = dashboardRoutes.find((r) => r.path === path);
  if (!route) throw new Error(`no dashboard route ${path}`);
  await suite.executions.flush();
  try {
    const body = await route.handler({
      suite,
      params: new URLSearchParams(query),
      signal: new AbortController().signal,
    });
    return { status: 200, body };
  } catch (error) {
    if (error instanceof ApiError) return { status: error.status, body: { ok: false, error: error.message } };
    throw error;
  }
}
