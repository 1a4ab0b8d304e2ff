// Pool: the Ollama hosts with health, resident models and their VRAM, queues and breakers, and
// what each model tier resolves to; infrastructure_get_pool_status's answer, updated live.
import { h, clear, section, table, tile, empty, errorBox } from '../lib/dom.js';
import { bytes, int, ms } from '../lib/format.js';
import type { AppContext, View } from '../lib/app-context.js';

interface Host {
  name: string;
  url: string;
  gpu?: string;
  vramGiB?: number;
  enabled: boolean;
  health: 'unknown' | 'healthy' | 'degraded' | 'down';
  version?: string;
  models: string[];
  resident: { name: string; vramBytes: number }[];
  inFlight: number;
  queued: number;
  breaker: 'closed' | 'open' | 'half-open';
  ewmaLatencyMs?: number;
  lastError?: string;
}
interface Tier {
  tier: string;
  wanted: string;
  model?: string;
  hosts: string[];
  substituted: boolean;
  note?: string;
}
interface Status {
  mode: string;
  claudeConfigured: boolean;
  hosts: Host[];
  tiers: Tier[];
}

let root: HTMLElement | undefined;
let context: AppContext | undefined;
let missing: string | undefined;

function render(status: Status): void {
  if (!root || !context) return;
  const app = context;
  clear(root);
  // Routable as the pool decides it: enabled, not down, and its breaker not open.
  const usable = status.hosts.filter((host) => host.enabled && host.health !== 'down' && host.breaker !== 'open');
  const degraded = usable.filter((host) => host.health === 'degraded').length;
  const disabled = status.hosts.filter((host) => !host.enabled).length;
  root.appendChild(
    h(
      'div',
      { class: 'tiles' },
      tile(
        'Mode',
        status.mode,
        status.claudeConfigured ? 'Claude fallback configured' : 'no Claude key: no fallback',
        'pool-mode',
      ),
      tile(
        'Hosts taking calls',
        `${usable.length} / ${status.hosts.length}`,
        `${degraded} degraded · ${disabled} disabled`,
        'pool-healthy',
      ),
      tile(
        'In flight',
        int(status.hosts.reduce((n, host) => n + host.inFlight, 0)),
        `${int(status.hosts.reduce((n, host) => n + host.queued, 0))} queued`,
        'pool-inflight',
      ),
    ),
  );
  if (missing) root.appendChild(empty('No Ollama host is configured.', missing));
  if (status.hosts.length > 0) {
    root.appendChild(
      table(
        'Hosts',
        [
          {
            label: 'Host',
            value: (host) =>
              h('span', {}, host.name, host.gpu ? h('span', { class: 'muted' }, ` · ${host.gpu}`) : null),
          },
          {
            label: 'Health',
            value: (host) =>
              h(
                'span',
                { class: `badge badge-${host.health}` },
                host.enabled ? host.health : `${host.health} (disabled)`,
              ),
          },
          {
            label: 'Breaker',
            value: (host) => h('span', { class: `badge badge-breaker-${host.breaker}` }, host.breaker),
          },
          { label: 'In flight', value: (host) => int(host.inFlight), numeric: true },
          { label: 'Queued', value: (host) => int(host.queued), numeric: true },
          { label: 'Latency (EWMA)', value: (host) => ms(host.ewmaLatencyMs), numeric: true },
          {
            label: 'Resident models (VRAM)',
            value: (host) =>
              host.resident.length
                ? h(
                    'ul',
                    { class: 'plain' },
                    host.resident.map((r) => h('li', {}, `${r.name} · ${bytes(r.vramBytes)}`)),
                  )
                : h('span', { class: 'muted' }, 'none loaded'),
          },
          { label: 'Installed', value: (host) => `${host.models.length} model(s)`, numeric: true },
          { label: 'Last error', value: (host) => host.lastError ?? '' },
          ...(app.meta.actions
            ? [
                {
                  label: 'Action',
                  value: (host: Host) =>
                    h(
                      'button',
                      {
                        type: 'button',
                        onclick: async () => {
                          const verb = host.enabled ? 'disable' : 'enable';
                          if (
                            !window.confirm(
                              `${verb} host ${host.name}? ${host.enabled ? 'Calls stop going to it.' : ''}`,
                            )
                          )
                            return;
                          const answer = await app.action({
                            action: 'pool-host',
                            host: host.name,
                            enabled: !host.enabled,
                            confirm: true,
                          });
                          window.alert(answer.ok ? (answer.text ?? 'done') : (answer.error ?? answer.text ?? 'failed'));
                        },
                      },
                      host.enabled ? 'Disable…' : 'Enable',
                    ),
                },
              ]
            : []),
        ],
        status.hosts,
        { testId: 'pool-hosts' },
      ),
    );
  }
  root.appendChild(
    status.tiers.length
      ? table(
          'Tiers: what each model tier resolves to now',
          [
            { label: 'Tier', value: (t) => t.tier },
            { label: 'Wanted', value: (t) => t.wanted },
            { label: 'Resolves to', value: (t) => t.model ?? h('strong', { class: 'bad' }, 'NOT SERVED') },
            { label: 'On hosts', value: (t) => t.hosts.join(', ') },
            { label: 'Note', value: (t) => (t.substituted ? `substituted: ${t.note ?? ''}` : (t.note ?? '')) },
          ],
          status.tiers,
          { testId: 'pool-tiers' },
        )
      : section('Tiers', h('p', { class: 'muted' }, 'No tiers: no Ollama host is configured.')),
  );
}

export const poolView: View = {
  id: 'pool',
  title: 'Pool',
  async mount(element, app) {
    root = element;
    context = app;
    const answer = await app.api<{ ok: boolean; error?: string; status: Status; missing?: string }>('pool');
    if (!answer.ok) {
      element.appendChild(errorBox(answer.error ?? 'the pool status could not be read'));
      return;
    }
    missing = answer.missing;
    render(answer.status);
  },
  onEvent(name, data) {
    if (name === 'pool' && data && typeof data === 'object' && 'hosts' in data) render(data as Status);
  },
  unmount() {
    root = undefined;
  },
};
