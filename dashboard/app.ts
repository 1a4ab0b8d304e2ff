// The dashboard's shell: a tab per view (the hash names it, so a view can be linked and reloaded),
// one server-sent event stream for the whole page, and the view's own rendering.
import { h, clear, errorBox } from './lib/dom.js';
import { ApiFailure, getJson, type AppContext, type Meta, type View } from './lib/app-context.js';
import { views } from './views/index.js';

let current: { view: View; route: string } | undefined;
let mountGeneration = 0;

function parseHash(): { id: string; route: string } {
  const raw = decodeURIComponent(location.hash.replace(/^#\/?/, ''));
  const [id = '', ...rest] = raw.split('/');
  return { id, route: rest.join('/') };
}

function renderNav(active: string): void {
  const nav = document.getElementById('nav')!;
  clear(nav);
  for (const view of views) {
    nav.appendChild(
      h(
        'li',
        {},
        h(
          'a',
          { href: `#${view.id}`, ...(view.id === active ? { 'aria-current': 'page', class: 'active' } : {}) },
          view.title,
        ),
      ),
    );
  }
}

async function show(app: AppContext): Promise<void> {
  const { id, route } = parseHash();
  const view = views.find((v) => v.id === id) ?? views[0]!;
  if (current && current.view === view && current.route === route) return;
  current?.view.unmount?.();
  current = { view, route };
  renderNav(view.id);
  document.title = `${view.title} · Caelum dashboard`;
  const root = document.getElementById('view')!;
  clear(root);
  root.setAttribute('aria-busy', 'true');
  root.appendChild(h('h2', { class: 'view-title' }, view.title));
  const body = h('div', { class: 'view-body', 'data-view': view.id });
  root.appendChild(body);
  const generation = ++mountGeneration;
  try {
    await view.mount(body, app, route);
  } catch (error) {
    if (generation !== mountGeneration) return;
    const message = error instanceof ApiFailure ? error.message : `The view failed: ${(error as Error).message}`;
    body.appendChild(errorBox(message));
  } finally {
    if (generation === mountGeneration) root.setAttribute('aria-busy', 'false');
  }
}

/**
 * One event stream for the page. EventSource retries a dropped connection itself, but gives up for
 * good on an answer that is not a stream (the service restarting, or too many pages open: 503), so
 * then the page opens a new one, waiting longer each time, and says so.
 */
function connectEvents(attempt = 0): void {
  const live = document.getElementById('live')!;
  const source = new EventSource('/api/events');
  const deliver = (name: string) => (event: MessageEvent<string>) => {
    live.textContent = `live · last update ${new Date().toISOString().slice(11, 19)} UTC`;
    let data: unknown;
    try {
      data = JSON.parse(event.data);
    } catch {
      return;
    }
    current?.view.onEvent?.(name, data);
  };
  source.addEventListener('open', () => {
    attempt = 0;
    live.textContent = 'live';
  });
  source.addEventListener('error', () => {
    if (source.readyState !== EventSource.CLOSED) {
      live.textContent = 'live updates lost; reconnecting…';
      return;
    }
    const delay = Math.min(60, 2 ** attempt * 2);
    live.textContent = `live updates refused or lost; trying again in ${delay} s (reload to try now)`;
    window.setTimeout(() => connectEvents(attempt + 1), delay * 1000);
  });
  for (const name of ['hello', 'execution', 'pool', 'fleet', 'training', 'alerts', 'knowledge', 'trading'])
    source.addEventListener(name, deliver(name) as EventListener);
}

async function start(): Promise<void> {
  let meta: Meta;
  try {
    meta = await getJson<Meta>('meta');
  } catch (error) {
    const root = document.getElementById('view')!;
    clear(root);
    root.appendChild(errorBox(`Caelum did not answer: ${(error as Error).message}`));
    return;
  }
  document.getElementById('meta')!.textContent =
    `Caelum ${meta.version} · data dir ${meta.dataDir} · ${meta.actions ? 'actions on (each asks for confirmation)' : 'read-only'}`;
  const app: AppContext = {
    meta,
    api: (path, params) => getJson(path, params),
    async action(body) {
      if (!meta.actions || !meta.csrf) return { ok: false, error: 'actions are off' };
      const response = await fetch('/api/action', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-caelum-csrf': meta.csrf },
        body: JSON.stringify(body),
        credentials: 'same-origin',
      });
      return (await response.json()) as { ok: boolean; text?: string; error?: string };
    },
    navigate(hash) {
      location.hash = hash;
    },
  };
  window.addEventListener('hashchange', () => void show(app));
  connectEvents();
  await show(app);
}

void start();
