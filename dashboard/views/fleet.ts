// Fleet: the servers' states as a heatmap of servers × time (monitoring_get_fleet_health's timeline),
// the current state counts, one server's forecasts with their bands, and the alerts with their
// escalation (monitoring_list_alerts), updated live. The heatmap is a <canvas>; the tables beside it
// carry the same figures for screen readers and keyboards.
import { h, clear, section, table, tile, empty, errorBox } from '../lib/dom.js';
import { chart } from '../lib/charts.js';
import { epochSeconds, int, pct, when } from '../lib/format.js';
import type { AppContext, View } from '../lib/app-context.js';

interface FleetAnswer {
  ok: boolean;
  error?: string;
  missing?: string;
  how?: string;
  at?: string;
  source?: string;
  states?: Record<string, number>;
  total?: number;
  stateNames?: string[];
  servers?: { name: string; profile: string; state: string; source: string; lastSampleAt: string | null }[];
  timeline?: { times: string[]; stepMinutes: number; servers: { name: string; states: (string | null)[] }[] };
  notes?: string[];
}
interface Forecast {
  method: string;
  reason: string;
  end: { value: number; lower: number; upper: number };
  peak: { value: number; at: string };
  breach: { at: string; threshold: number } | null;
}
interface ServerAnswer {
  ok: boolean;
  error?: string;
  missing?: string;
  how?: string;
  at?: string;
  forecastHours?: number;
  server?: {
    name: string;
    profile: string;
    state: string;
    source: string;
    lastSampleAt: string | null;
    latest: Record<string, number>;
    evidence: { rule?: string; metric?: string; value?: number; threshold?: number; forMinutes?: number }[];
    forecast: Record<string, Forecast>;
    missing: Record<string, string>;
  };
  notes?: string[];
}
interface AlertRow {
  fingerprint: string;
  alertname: string;
  severity: string | null;
  instance: string | null;
  summary: string | null;
  startsAt: string;
  state: string;
  receivers: string[];
  mutedBy: string[];
  nextRepeatAt: string | null;
  escalation: {
    state: string;
    tierReached: number;
    tiers: string[];
    nextDueAt: string | null;
    nextReceiver: string | null;
    ack: { by: string; comment: string; until: string } | null;
  } | null;
}
interface AlertsAnswer {
  ok: boolean;
  error?: string;
  config?: string;
  alerts?: AlertRow[];
  silences?: number;
}

const allStates = [
  'critical_issue',
  'offline',
  'heavy_load',
  'recovery',
  'morning_spike',
  'maintenance',
  'idle',
  'healthy',
];
/** A colour per state, and a short text label drawn in the cell when it is wide enough. */
const stateStyle: Record<string, { fill: string; ink: string; short: string }> = {
  critical_issue: { fill: '#b91c1c', ink: '#ffffff', short: 'CRIT' },
  offline: { fill: '#1f2937', ink: '#ffffff', short: 'OFF' },
  heavy_load: { fill: '#ea580c', ink: '#000000', short: 'HEAVY' },
  recovery: { fill: '#06b6d4', ink: '#000000', short: 'REC' },
  morning_spike: { fill: '#facc15', ink: '#000000', short: 'SPIKE' },
  maintenance: { fill: '#7c3aed', ink: '#ffffff', short: 'MAINT' },
  idle: { fill: '#bfdbfe', ink: '#000000', short: 'IDLE' },
  healthy: { fill: '#22c55e', ink: '#000000', short: 'OK' },
};
const noData = { fill: '#f3f4f6', ink: '#4b5563', short: '–' };
const styleOf = (state: string | null) => (state ? (stateStyle[state] ?? noData) : noData);

let root: HTMLElement | undefined;
let context: AppContext | undefined;
let alertsHolder: HTMLElement | undefined;

function ratio(metric: string): boolean {
  return metric === 'cpu' || metric === 'memory' || metric === 'disk';
}
function metricValue(metric: string, value: number): string {
  return ratio(metric) ? pct(value) : value.toFixed(2);
}

function legend(): HTMLElement {
  return h(
    'ul',
    { class: 'fleet-legend', 'aria-label': 'Heatmap colours' },
    [...allStates, null].map((state) => {
      const swatch = h('span', { class: 'fleet-swatch', 'aria-hidden': 'true' });
      swatch.style.background = styleOf(state).fill;
      return h('li', {}, swatch, state ? `${state} (${styleOf(state).short})` : 'no history yet (–)');
    }),
  );
}

/** The servers × time grid on a canvas; clicking a row opens that server. */
function heatmap(answer: FleetAnswer, select: (name: string) => void): HTMLElement {
  const timeline = answer.timeline!;
  const rows = timeline.servers;
  const times = timeline.times;
  const counts = answer.states ?? {};
  const summary = `${rows.length} server(s) over ${times.length} points every ${timeline.stepMinutes} min; now: ${
    Object.entries(counts)
      .map(([state, count]) => `${count} ${state}`)
      .join(', ') || 'none'
  }`;
  const canvas = h('canvas', {
    role: 'img',
    'aria-label': `Fleet states heatmap: ${summary}. The table "Servers now" below lists the same servers.`,
    'data-testid': 'fleet-heatmap',
    'data-rows': rows.length,
    'data-cols': times.length,
  });
  const holder = h('div', { class: 'fleet-heatmap' }, canvas);
  const labelWidth = 150;
  const headerHeight = 22;
  const rowHeight = 18;
  const draw = () => {
    const width = Math.max(320, holder.clientWidth || 800);
    const height = headerHeight + rows.length * rowHeight + 2;
    const scale = window.devicePixelRatio || 1;
    canvas.width = Math.round(width * scale);
    canvas.height = Math.round(height * scale);
    canvas.style.width = `${width}px`;
    canvas.style.height = `${height}px`;
    const g = canvas.getContext('2d');
    if (!g) return;
    g.setTransform(scale, 0, 0, scale, 0, 0);
    g.clearRect(0, 0, width, height);
    g.font = '12px system-ui, sans-serif';
    g.textBaseline = 'middle';
    const cellWidth = (width - labelWidth) / Math.max(1, times.length);
    // Time labels: about one every 70 px.
    const every = Math.max(1, Math.ceil(70 / cellWidth));
    g.fillStyle = '#374151';
    g.textAlign = 'left';
    for (let k = 0; k < times.length; k += every)
      g.fillText(times[k]!.slice(11, 16), labelWidth + k * cellWidth, headerHeight / 2);
    rows.forEach((row, r) => {
      const y = headerHeight + r * rowHeight;
      g.fillStyle = '#111827';
      g.textAlign = 'left';
      const name = row.name.length > 20 ? `${row.name.slice(0, 19)}…` : row.name;
      g.fillText(name, 2, y + rowHeight / 2);
      row.states.forEach((state, k) => {
        const style = styleOf(state);
        const x = labelWidth + k * cellWidth;
        g.fillStyle = style.fill;
        g.fillRect(x, y, Math.max(1, cellWidth - 1), rowHeight - 1);
        if (cellWidth >= 40) {
          g.fillStyle = style.ink;
          g.textAlign = 'center';
          g.fillText(style.short, x + cellWidth / 2, y + rowHeight / 2);
        }
      });
    });
  };
  canvas.addEventListener('click', (event) => {
    const box = canvas.getBoundingClientRect();
    const r = Math.floor((event.clientY - box.top - headerHeight) / rowHeight);
    if (r >= 0 && r < rows.length) select(rows[r]!.name);
  });
  canvas.addEventListener('mousemove', (event) => {
    const box = canvas.getBoundingClientRect();
    const r = Math.floor((event.clientY - box.top - headerHeight) / rowHeight);
    const cellWidth = (box.width - labelWidth) / Math.max(1, times.length);
    const k = Math.floor((event.clientX - box.left - labelWidth) / cellWidth);
    const row = rows[r];
    canvas.title =
      row && k >= 0 && k < times.length
        ? `${row.name} at ${when(times[k])}: ${row.states[k] ?? 'no history'}`
        : row
          ? `${row.name}: click for its forecasts`
          : '';
    canvas.style.cursor = row ? 'pointer' : 'default';
  });
  requestAnimationFrame(() => {
    if (!holder.isConnected) return;
    draw();
    let last = holder.clientWidth;
    const observer = new ResizeObserver(() => {
      if (!holder.isConnected) return observer.disconnect();
      if (Math.abs(holder.clientWidth - last) > 4) {
        last = holder.clientWidth;
        draw();
      }
    });
    observer.observe(holder);
  });
  return holder;
}

function forecastChart(metric: string, forecast: Forecast, latest: number | undefined, from: string, hours: number) {
  const start = epochSeconds(from);
  const end = start + hours * 3600;
  const now = latest ?? forecast.end.value;
  const series = [
    { label: `${metric} forecast`, values: [now, forecast.end.value], color: '#2563eb' },
    { label: 'lower', values: [now, forecast.end.lower], edge: true },
    { label: 'upper', values: [now, forecast.end.upper], edge: true },
    ...(forecast.breach
      ? [
          {
            label: 'critical threshold',
            values: [forecast.breach.threshold, forecast.breach.threshold],
            color: '#b91c1c',
            dash: [6, 4],
          },
        ]
      : []),
  ];
  return chart({
    title: `${metric}: ${forecast.method}, ${hours} h`,
    x: [start, end],
    series,
    bands: [{ upper: 2, lower: 1, fill: 'rgba(37, 99, 235, 0.18)' }],
    yFormat: (value) => metricValue(metric, value),
    summary: `now ${metricValue(metric, now)}, in ${hours} h ${metricValue(metric, forecast.end.value)} (band ${metricValue(metric, forecast.end.lower)} to ${metricValue(metric, forecast.end.upper)})${forecast.breach ? `; the upper band reaches ${metricValue(metric, forecast.breach.threshold)} at ${when(forecast.breach.at)}` : ''}`,
    testId: `fleet-forecast-${metric}`,
  });
}

async function serverDetail(app: AppContext, name: string): Promise<HTMLElement> {
  let answer: ServerAnswer;
  try {
    answer = await app.api<ServerAnswer>('fleet-server', { name });
  } catch (error) {
    return section(`Server ${name}`, errorBox((error as Error).message));
  }
  if (!answer.ok || !answer.server)
    return section(
      `Server ${name}`,
      answer.missing ? empty(answer.missing, answer.how ?? '') : errorBox(answer.error ?? 'not read'),
    );
  const server = answer.server;
  const hours = answer.forecastHours ?? 6;
  const forecasts = Object.entries(server.forecast);
  const why = server.evidence[0];
  return section(
    `Server ${server.name}`,
    h(
      'dl',
      { class: 'facts', 'data-testid': 'fleet-server' },
      h('dt', {}, 'State'),
      h('dd', { 'data-testid': 'fleet-server-state' }, server.state),
      h('dt', {}, 'Profile'),
      h('dd', {}, server.profile),
      h('dt', {}, 'Why'),
      h(
        'dd',
        {},
        why?.rule
          ? `${why.rule}: ${why.metric ?? ''} ${why.value ?? ''} vs ${why.threshold ?? ''} (for ${why.forMinutes ?? 0} min)`
          : 'no rule fired',
      ),
      h('dt', {}, 'Last sample'),
      h('dd', {}, when(server.lastSampleAt ?? undefined)),
      h('dt', {}, 'Latest'),
      h(
        'dd',
        {},
        Object.entries(server.latest)
          .map(([metric, value]) => `${metric} ${metricValue(metric, value)}`)
          .join(' · ') || 'none',
      ),
    ),
    Object.keys(server.missing).length
      ? h(
          'p',
          { class: 'muted' },
          `Missing: ${Object.entries(server.missing)
            .map(([metric, why]) => `${metric}: ${why}`)
            .join('; ')}`,
        )
      : null,
    forecasts.length
      ? [
          h(
            'p',
            { class: 'muted' },
            `Forecasts from the last sample to ${hours} h ahead; the tool reports the band at the end of the horizon, so the band is drawn widening from the last value to it.`,
          ),
          h(
            'div',
            { class: 'grid-2' },
            forecasts.map(([metric, forecast]) =>
              forecastChart(metric, forecast, server.latest[metric], server.lastSampleAt ?? answer.at!, hours),
            ),
          ),
          table(
            `Forecasts for ${server.name}, ${hours} h ahead`,
            [
              { label: 'Metric', value: ([metric]) => metric },
              { label: 'Method', value: ([, f]) => f.method },
              { label: 'End', value: ([metric, f]) => metricValue(metric, f.end.value), numeric: true },
              {
                label: 'Band',
                value: ([metric, f]) => `${metricValue(metric, f.end.lower)} – ${metricValue(metric, f.end.upper)}`,
                numeric: true,
              },
              {
                label: 'Peak',
                value: ([metric, f]) => `${metricValue(metric, f.peak.value)} at ${when(f.peak.at)}`,
              },
              {
                label: 'Breach',
                value: ([metric, f]) =>
                  f.breach
                    ? h(
                        'strong',
                        { class: 'bad' },
                        `${metricValue(metric, f.breach.threshold)} by ${when(f.breach.at)}`,
                      )
                    : 'none',
              },
            ],
            forecasts,
            { testId: 'fleet-forecasts' },
          ),
        ]
      : empty(
          'No forecast for this server.',
          server.source === 'exposition'
            ? 'It is read from its node_exporter endpoint (one reading): forecasts need Prometheus history (monitoring.prometheus.url).'
            : 'Forecasts need metric history in Prometheus (monitoring.fleet.forecast.historyDays of it is read).',
        ),
  );
}

function renderAlerts(app: AppContext, answer: AlertsAnswer): void {
  if (!alertsHolder) return;
  clear(alertsHolder);
  if (!answer.ok) {
    alertsHolder.appendChild(errorBox(answer.error ?? 'the alerts could not be read'));
    return;
  }
  const alerts = answer.alerts ?? [];
  const escalating = alerts.filter((a) => a.escalation && a.escalation.state !== 'acked').length;
  alertsHolder.appendChild(
    h(
      'div',
      { class: 'tiles' },
      tile(
        'Alerts firing',
        int(alerts.length),
        `${alerts.filter((a) => a.state === 'active').length} active, ${alerts.filter((a) => a.state !== 'active').length} suppressed`,
        'fleet-alerts-firing',
      ),
      tile('Escalating (not acked)', int(escalating), `${answer.silences ?? 0} silence(s)`, 'fleet-alerts-escalating'),
    ),
  );
  if (alerts.length === 0) {
    alertsHolder.appendChild(
      empty(
        'No alert is firing.',
        `Alerts arrive through manageAlerts {"action": "fire", "labels": {"alertname": "DiskFull", "severity": "critical"}, "confirm": true} (or monitoring_fire_alerts) and are routed by the Alertmanager YAML in monitoring.alerting.configFile. Routing now: ${answer.config ?? 'n/a'}.`,
      ),
    );
    return;
  }
  alertsHolder.appendChild(
    table(
      `Firing alerts (routing: ${answer.config ?? 'n/a'})`,
      [
        {
          label: 'Alert',
          value: (a) => h('span', {}, a.alertname, a.summary ? h('div', { class: 'muted' }, a.summary) : null),
        },
        {
          label: 'Severity',
          value: (a) => h('span', { class: `badge fleet-sev-${a.severity ?? 'none'}` }, a.severity ?? 'none'),
        },
        { label: 'Instance', value: (a) => a.instance ?? '' },
        {
          label: 'State',
          value: (a) => (a.mutedBy.length ? `${a.state} (by ${a.mutedBy.join(', ')})` : a.state),
        },
        { label: 'Since', value: (a) => when(a.startsAt) },
        {
          label: 'Escalation',
          value: (a) =>
            a.escalation
              ? h(
                  'span',
                  {},
                  `${a.escalation.state}, tier ${a.escalation.tierReached} of ${a.escalation.tiers.length}`,
                  a.escalation.nextDueAt
                    ? h(
                        'div',
                        { class: 'muted' },
                        `next: ${a.escalation.nextReceiver ?? '?'} at ${when(a.escalation.nextDueAt)}`,
                      )
                    : null,
                )
              : 'none',
        },
        {
          label: 'Ack',
          value: (a) =>
            a.escalation?.ack ? `${a.escalation.ack.by} until ${when(a.escalation.ack.until)}` : 'not acked',
        },
        { label: 'Next repeat', value: (a) => (a.nextRepeatAt ? when(a.nextRepeatAt) : 'n/a') },
        ...(app.meta.actions
          ? [
              {
                label: 'Action',
                value: (a: AlertRow) =>
                  a.escalation && a.escalation.state !== 'acked' && a.escalation.state !== 'exhausted'
                    ? h(
                        'button',
                        {
                          type: 'button',
                          'aria-label': `Acknowledge ${a.alertname}`,
                          onclick: async () => {
                            if (
                              !window.confirm(
                                `Acknowledge ${a.alertname}? No further tier is paged until the ack expires.`,
                              )
                            )
                              return;
                            const answer = await app.action({ action: 'ack-alert', id: a.fingerprint });
                            window.alert(
                              answer.ok ? (answer.text ?? 'acknowledged') : (answer.error ?? answer.text ?? 'failed'),
                            );
                            renderAlerts(app, await app.api<AlertsAnswer>('alerts'));
                          },
                        },
                        'Ack…',
                      )
                    : h(
                        'span',
                        { class: 'muted' },
                        a.escalation ? '' : 'no escalation policy pages this alert: nothing to ack',
                      ),
              },
            ]
          : []),
      ],
      alerts,
      { testId: 'fleet-alerts' },
    ),
  );
}

async function render(element: HTMLElement, app: AppContext, route: string): Promise<void> {
  const selected = route ? decodeURIComponent(route) : undefined;
  const [fleetAnswer, alertsAnswer] = await Promise.all([
    app.api<FleetAnswer>('fleet').catch((error: Error) => ({ ok: false, error: error.message }) as FleetAnswer),
    app.api<AlertsAnswer>('alerts').catch((error: Error) => ({ ok: false, error: error.message }) as AlertsAnswer),
  ]);
  if (root !== element) return;
  clear(element);
  const select = (name: string) => app.navigate(`fleet/${encodeURIComponent(name)}`);
  const states = fleetAnswer.states ?? {};
  if (!fleetAnswer.ok) element.appendChild(section('Fleet states', errorBox(fleetAnswer.error ?? 'not read')));
  else if (fleetAnswer.missing && !fleetAnswer.total)
    element.appendChild(
      section(
        'Fleet states',
        h('div', { 'data-testid': 'fleet-missing' }, empty(fleetAnswer.missing, fleetAnswer.how ?? '')),
      ),
    );
  else {
    const bad = (states.critical_issue ?? 0) + (states.offline ?? 0);
    element.appendChild(
      h(
        'div',
        { class: 'tiles' },
        tile('Servers', int(fleetAnswer.total), fleetAnswer.source, 'fleet-total'),
        tile('Critical or offline', int(bad), `at ${when(fleetAnswer.at)}`, 'fleet-bad'),
        tile('Healthy', int(states.healthy ?? 0), `${int(states.idle ?? 0)} idle`, 'fleet-healthy'),
      ),
    );
    const timeline = fleetAnswer.timeline!;
    element.appendChild(
      section(
        `States over the last ${Math.round(((timeline.times.length - 1) * timeline.stepMinutes) / 60)} h`,
        legend(),
        (fleetAnswer.notes ?? []).map((note) => h('p', { class: 'muted fleet-note' }, note)),
        heatmap(fleetAnswer, select),
        h('p', { class: 'muted' }, 'Click a server (here or in the table) for its forecasts.'),
      ),
    );
    element.appendChild(
      h(
        'div',
        { class: 'grid-2' },
        table(
          'State counts now (whole fleet)',
          [
            { label: 'State', value: (row) => h('span', { class: `badge fleet-state-${row[0]}` }, row[0]) },
            { label: 'Servers', value: (row) => int(row[1]), numeric: true },
          ],
          allStates.map((state) => [state, states[state] ?? 0] as [string, number]),
          { testId: 'fleet-states' },
        ),
        table(
          `Servers now${(fleetAnswer.servers?.length ?? 0) < (fleetAnswer.total ?? 0) ? ` (worst ${fleetAnswer.servers!.length} of ${fleetAnswer.total})` : ''}`,
          [
            { label: 'Server', value: (s) => s.name },
            { label: 'Profile', value: (s) => s.profile },
            { label: 'State', value: (s) => h('span', { class: `badge fleet-state-${s.state}` }, s.state) },
            { label: 'Last sample', value: (s) => when(s.lastSampleAt ?? undefined) },
          ],
          fleetAnswer.servers ?? [],
          { testId: 'fleet-servers', rowClick: (s) => select(s.name) },
        ),
      ),
    );
  }
  if (selected) {
    const detail = h('div', {}, section(`Server ${selected}`, h('p', { class: 'muted' }, 'Reading forecasts…')));
    element.appendChild(detail);
    void serverDetail(app, selected).then((node) => {
      if (root === element) detail.replaceChildren(node);
    });
  }
  alertsHolder = h('div', {});
  element.appendChild(section('Alerts and escalation', alertsHolder));
  renderAlerts(app, alertsAnswer);
}

export const fleetView: View = {
  id: 'fleet',
  title: 'Fleet',
  async mount(element, app, route) {
    root = element;
    context = app;
    await render(element, app, route);
  },
  onEvent(name, data) {
    if (name === 'alerts' && context && data && typeof data === 'object' && 'ok' in data)
      renderAlerts(context, data as AlertsAnswer);
  },
  unmount() {
    root = undefined;
    alertsHolder = undefined;
  },
};
