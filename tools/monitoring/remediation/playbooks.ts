// Remediation playbooks as data: per-profile lists of steps, each an HTTP call, an allow-listed
// command (by name, fixed arguments) or a service restart through the registry's runner (by name).
// The shipped playbooks name services and commands the operator has to configure, so they are inert
// until then; a plan says exactly what is missing.
import { z } from 'zod';
import { referenceNameSchema } from './allowed-commands.js';
import { profileSchema } from '../fleet/contract.js';
import { urlTemplateSchema } from './url-template.js';

export const httpMethods = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

const descriptionField = z.string().max(500).optional().describe('What the step is for, shown in plans.');

export const httpStepSchema = z
  .object({
    kind: z.literal('http'),
    method: z.enum(httpMethods).describe('HTTP method.'),
    url: urlTemplateSchema.describe('http(s) URL; {server} and {host} are filled from the server record.'),
    headers: z
      .record(z.string(), z.string().max(4096))
      .optional()
      .describe('Fixed headers (values redacted in plans).'),
    body: z
      .string()
      .max(64 * 1024)
      .optional()
      .describe('Fixed request body.'),
    expectStatus: z.number().int().min(100).max(599).optional().describe('Required status; default any 2xx.'),
    timeoutMs: z.number().int().min(100).max(120_000).default(10_000).describe('Deadline for the call and its body.'),
    description: descriptionField,
  })
  .strict();

export const commandStepSchema = z
  .object({
    kind: z.literal('command'),
    command: referenceNameSchema.describe('Name of an entry in the commands allow-list; no arguments can be added.'),
    description: descriptionField,
  })
  .strict();

export const restartStepSchema = z
  .object({
    kind: z.literal('restart'),
    service: referenceNameSchema.describe('Name of a service in the service registry.'),
    onlyIfUnhealthy: z
      .boolean()
      .default(false)
      .describe('Check health first and restart only when it fails; the step passes when healthy.'),
    description: descriptionField,
  })
  .strict();

export const stepSchema = z.discriminatedUnion('kind', [httpStepSchema, commandStepSchema, restartStepSchema]);
export type Step = z.output<typeof stepSchema>;
export type HttpStep = z.output<typeof httpStepSchema>;

export const playbookSchema = z
  .object({
    name: referenceNameSchema.describe('Playbook name, unique.'),
    profiles: z.array(profileSchema).min(1).describe('Server profiles this playbook applies to.'),
    description: z.string().max(1000).describe('What the playbook remediates.'),
    steps: z.array(stepSchema).min(1).max(20).describe('Steps, run in order; the first failure stops the run.'),
  })
  .strict()
  .superRefine((playbook, context) => {
    playbook.steps.forEach((step, index) => {
      if (step.kind === 'http' && step.body !== undefined && (step.method === 'GET' || step.method === 'HEAD'))
        context.addIssue({
          code: 'custom',
          path: ['steps', index, 'body'],
          message: `a ${step.method} request has no body; use POST or drop body`,
        });
    });
  });
export type Playbook = z.output<typeof playbookSchema>;

const restartIfDown = (service: string) => ({
  kind: 'restart' as const,
  service,
  onlyIfUnhealthy: true,
  description: `check ${service}'s health; restart it only if it is down, then wait until it answers again`,
});
const command = (name: string, description: string) => ({ kind: 'command' as const, command: name, description });

/** The shipped playbooks: one per profile, inert until the services and commands they name exist. */
export const shippedPlaybooks: Playbook[] = playbookSchema.array().parse([
  {
    name: 'ml_compute_recover',
    profiles: ['ml_compute'],
    description: 'GPU node: record the GPU state, then bring the inference service back if it is down.',
    steps: [command('gpu_status', 'record GPU state (e.g. /usr/bin/nvidia-smi)'), restartIfDown('ml-inference')],
  },
  {
    name: 'database_recover',
    profiles: ['database'],
    description: 'Database: check that it accepts connections, then restart the connection pooler if it is down.',
    steps: [command('database_ready', 'e.g. /usr/bin/pg_isready -q'), restartIfDown('connection-pooler')],
  },
  {
    name: 'web_api_recover',
    profiles: ['web_api'],
    description: 'Web API: check health, restart the service if it is down and wait for it, then run a smoke test.',
    steps: [restartIfDown('web-api'), command('web_api_smoke_test', 'a fixed request against the API')],
  },
  {
    name: 'conductor_mgmt_recover',
    profiles: ['conductor_mgmt'],
    description: 'Orchestration node: restart the conductor if it is down.',
    steps: [restartIfDown('conductor')],
  },
  {
    name: 'data_ingest_recover',
    profiles: ['data_ingest'],
    description: 'Ingestion node: restart the ingest worker if it is down, then report the backlog.',
    steps: [restartIfDown('ingest-worker'), command('ingest_backlog', 'report the queue backlog')],
  },
  {
    name: 'risk_analytics_recover',
    profiles: ['risk_analytics'],
    description: 'Risk analytics node: restart the risk engine if it is down.',
    steps: [restartIfDown('risk-engine')],
  },
  {
    name: 'generic_inspect',
    profiles: ['generic'],
    description: 'Any server: record disk usage and the failed units (read-only commands).',
    steps: [command('disk_usage', 'e.g. /usr/bin/df -h'), command('failed_units', 'e.g. /usr/bin/systemctl --failed')],
  },
]);
