export interface Note {
  id: number;
  title: string;
  body: string;
  link?: string | null;
  updatedAt: string;
}

export interface RenderedNote {
  id: number;
  title: string;
  html: string;
}

const BASE = '/api';

async function request<T>(path: string, init: RequestInit = {}): Promise<T> {
  const res = await fetch(path.startsWith('/v2/') ? path : `${BASE}${path}`, {
    credentials: 'same-origin',
    headers: { 'Content-Type': 'application/json', ...(init.headers || {}) },
    ...init
  });
  if (res.status === 401) {
    window.location.assign('/login?next=' + encodeURIComponent(window.location.pathname));
    throw new Error('unauthenticated');
  }
  if (!res.ok) {
    const body = await res.json().catch(() => ({}));
    throw new Error(body.error || `Request failed: ${res.status}`);
  }
  return res.status === 204 ? (undefined as unknown as T) : res.json();
}

export const api = {
  list: () => request<Note[]>('/notes'),
  get: (id: number) => request<Note>(`/notes/${encodeURIComponent(String(id))}`),
  rendered: (id: number) => request<RenderedNote>(`/notes/${encodeURIComponent(String(id))}/rendered`),
  save: (note: Partial<Note> & { id: number }) =>
    request<Note>(`/notes/${encodeURIComponent(String(note.id))}`, {
      method: 'PUT',
      body: JSON.stringify({ title: note.title, body: note.body, link: note.link ?? undefined })
    }),
  create: (title: string, body: string) => request<Note>('/notes', { method: 'POST', body: JSON.stringify({ title, body }) }),
  share: (id: number, days = 7) =>
    request<{ url: string }>(`/notes/${encodeURIComponent(String(id))}/share`, { method: 'POST', body: JSON.stringify({ days }) }),
  requestOtp: (email: string) => request<{ sent: boolean }>('/v2/auth/otp/request', { method: 'POST', body: JSON.stringify({ email }) }),
  verifyOtp: (email: string, code: string) =>
    request<{ ok: boolean }>('/v2/auth/otp/verify', { method: 'POST', body: JSON.stringify({ email, code }) })
};

export function afterLoginRedirect(): void {
  const next = new URLSearchParams(window.location.search).get('next');
  window.location.href = next || '/'; // vuln: CWE-601
}

export function afterLoginRedirectLocal(): void {
  const next = new URLSearchParams(window.location.search).get('next') || '/';
  const target = new URL(next, window.location.origin);
  window.location.href = target.origin === window.location.origin ? target.pathname + target.search : '/';
}
