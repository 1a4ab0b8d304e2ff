// Resolves a remediation playbook for one server to exactly what would run: method + URL (with
// {server}/{host} filled and checked), program + fixed arguments, the restart runner and health check,
// and what the operator still has to configure. Nothing runs here.
import { redactText, redactUrl } from '../../redact.js';
import type { AllowedCommand } from './allowed-commands.js';
import type { HttpRequest } from './http-call.js';
import type { Playbook } from './playbooks.js';
import type { Profile } from '../fleet/contract.js';
import type { RemediationSettings } from './remediation-settings.js';
import { describeRunner, type Service } from './service-registry.js';
import { checkHostValue, fillUrl } from './url-template.js';

export interface RemediationServer {
  name: string;
  profile: Profile;
  /** Host name or IPv4 address for {host}; default: the server name. */
  host?: string | undefined;
}

interface StepBase {
  index: number;
  description: string;
  /** One line saying exactly what runs, secrets redacted. */
  action: string;
  /** What the operator must configure before this step can run; empty when ready. */
  missing: string[];
}
export interface PlannedHttpStep extends StepBase {
  kind: 'http';
  request: HttpRequest;
  expectStatus: number | null;
}
export interface PlannedCommandStep extends StepBase {
  kind: 'command';
  name: string;
  command: AllowedCommand | null;
}
export interface PlannedRestartStep extends StepBase {
  kind: 'restart';
  service: string;
  onlyIfUnhealthy: boolean;
  config: Service | null;
}
export type PlannedStep = PlannedHttpStep | PlannedCommandStep | PlannedRestartStep;

/** A resolved plan. It holds the real URLs and headers (secrets included): show it through planView. */
export interface RemediationPlan {
  server: { name: string; profile: Profile; host: string };
  playbook: { name: string; description: string };
  steps: PlannedStep[];
  /** Everything the operator must configure, one line each; empty when the plan can run. */
  missing: string[];
  ready: boolean;
  /** The allow-list, for restart runners that name a command. */
  commands: Record<string, AllowedCommand>;
}

export function planRemediation(
  server: RemediationServer,
  playbook: Playbook,
  config: RemediationSettings,
): RemediationPlan {
  checkHostValue('server', server.name);
  const host = server.host ?? server.name;
  checkHostValue('host', host);
  const steps = playbook.steps.map((step, index): PlannedStep => {
    const description = step.description ?? '';
    if (step.kind === 'http') {
      const url = fillUrl(step.url, { server: server.name, host });
      const request: HttpRequest = {
        method: step.method,
        url,
        headers: step.headers,
        body: step.body,
        timeoutMs: step.timeoutMs,
      };
      const expectStatus = step.expectStatus ?? null;
      const expecting = expectStatus === null ? 'a 2xx answer' : `status ${expectStatus}`;
      const extras = [
        step.headers ? `headers ${Object.keys(step.headers).join(', ')} (values not shown)` : '',
        step.body !== undefined ? `a ${Buffer.byteLength(step.body)}-byte body` : '',
      ].filter(Boolean);
      const sending = extras.length > 0 ? ` with ${extras.join(' and ')}` : '';
      const action = `${step.method} ${redactUrl(url)}${sending}, expecting ${expecting} within ${step.timeoutMs} ms`;
      return { kind: 'http', index, description, action, missing: [], request, expectStatus };
    }
    if (step.kind === 'command') {
      const command = config.commands[step.command] ?? null;
      const missing = command ? [] : [missingCommand(step.command)];
      const action = command
        ? redactText(`run ${commandLine(command)} (command "${step.command}", ${command.timeoutMs} ms)`)
        : `run command "${step.command}" (not configured)`;
      return { kind: 'command', index, description, action, missing, name: step.command, command };
    }
    const service = config.services[step.service] ?? null;
    const missing: string[] = [];
    if (!service) missing.push(missingService(step.service));
    else if (!service.restart)
      missing.push(
        `services.${step.service}.restart: add {command: "<allow-listed name>"} or {http: {url: "<restart endpoint>"}}`,
      );
    else if ('command' in service.restart && !config.commands[service.restart.command])
      missing.push(missingCommand(service.restart.command));
    const action = service
      ? restartAction(step.service, service, step.onlyIfUnhealthy, config.commands)
      : `restart service "${step.service}" (not configured)`;
    return {
      kind: 'restart',
      index,
      description,
      action,
      missing,
      service: step.service,
      onlyIfUnhealthy: step.onlyIfUnhealthy,
      config: service,
    };
  });
  const missing = [...new Set(steps.flatMap((step) => step.missing))];
  return {
    server: { name: server.name, profile: server.profile, host },
    playbook: { name: playbook.name, description: playbook.description },
    steps,
    missing,
    ready: missing.length === 0,
    commands: config.commands,
  };
}

/** program and arguments as one line; an argument with spaces or quotes is shown JSON-quoted. */
export function commandLine(command: AllowedCommand): string {
  const quote = (part: string) => (/^[\w@%+=:,./-]+$/.test(part) ? part : JSON.stringify(part));
  return [command.program, ...command.args].map(quote).join(' ');
}

/** What a planned step will do, as fields, secrets redacted: for results an agent reads. */
export interface PlannedStepView {
  index: number;
  kind: PlannedStep['kind'];
  description: string;
  action: string;
  missing: string[];
  method?: string;
  url?: string;
  program?: string;
  args?: string[];
  service?: string;
  healthUrl?: string;
  runner?: string;
}

export function viewStep(step: PlannedStep, commands: Record<string, AllowedCommand>): PlannedStepView {
  const { index, kind, description, action, missing } = step;
  const view: PlannedStepView = { index, kind, description, action, missing };
  if (step.kind === 'http') {
    view.method = step.request.method;
    view.url = redactUrl(step.request.url);
  } else if (step.kind === 'command') {
    if (step.command) {
      view.program = step.command.program;
      view.args = step.command.args.map(redactText);
    }
  } else {
    view.service = step.service;
    if (step.config) view.healthUrl = redactUrl(step.config.healthUrl);
    if (step.config?.restart) view.runner = describeRunner(step.config.restart, commands);
  }
  return view;
}

function missingCommand(name: string): string {
  return `commands.${name}: add {"program": "/absolute/path", "args": [fixed arguments]} to monitoring.remediation.commands`;
}

function missingService(name: string): string {
  return `services.${name}: add {"healthUrl": "http://127.0.0.1:<port>/health", "restart": {"command": "<allow-listed name>"}} to monitoring.remediation.services`;
}

function restartAction(
  name: string,
  service: Service,
  onlyIfUnhealthy: boolean,
  commands: Record<string, AllowedCommand>,
): string {
  const check = `GET ${redactUrl(service.healthUrl)} (expect ${service.expectStatus}${service.expectBody ? ` and "${redactText(service.expectBody)}"` : ''})`;
  const runner = service.restart ? describeRunner(service.restart, commands) : 'no restart runner';
  const first = onlyIfUnhealthy ? `check ${check}; if down, ` : '';
  return `${first}restart "${name}" with ${runner}, then poll ${check} every ${service.pollMs} ms for up to ${service.restartWaitMs} ms`;
}
