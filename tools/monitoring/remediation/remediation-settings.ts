// Config `monitoring.remediation`: playbooks (added to, or replacing, the shipped ones by name), the
// commands allow-list, the service registry and the per-server rate limit. One zod schema; the lead's
// config loader embeds it.
import { z } from 'zod';
import { InputError, ToolError } from '../../errors.js';
import { allowedCommandSchema, referenceNameSchema } from './allowed-commands.js';
import { playbookSchema, shippedPlaybooks, type Playbook } from './playbooks.js';
import { rateLimitSchema } from './rate-limiter.js';
import type { Profile } from '../fleet/contract.js';
import { serviceSchema } from './service-registry.js';

export const RemediationSettings = z
  .object({
    playbooks: z
      .array(playbookSchema)
      .max(200)
      .default([])
      .describe('Playbooks; one with a shipped playbook name replaces it.'),
    shippedPlaybooks: z.boolean().default(true).describe('Whether the shipped per-profile playbooks are offered.'),
    commands: z
      .record(referenceNameSchema, allowedCommandSchema)
      .default({})
      .describe('The commands allow-list: name → {program (absolute), args (fixed), timeoutMs, cwd}.'),
    services: z
      .record(referenceNameSchema, serviceSchema)
      .default({})
      .describe('The service registry: name → {healthUrl, expectStatus, expectBody, timeoutMs, restart, ...}.'),
    rateLimit: rateLimitSchema
      .default({ maxRuns: 3, windowMs: 3_600_000 })
      .describe('Real runs allowed per server per window.'),
  })
  .strict();
export type RemediationSettings = z.output<typeof RemediationSettings>;
export const remediationSettingsSchema = RemediationSettings;

/** Settings with nothing configured: the shipped playbooks, no commands, no services. */
export const emptyRemediationSettings: RemediationSettings = RemediationSettings.parse({});

/** The playbooks on offer: shipped ones (unless turned off) with configured ones replacing by name. */
export function availablePlaybooks(settings: RemediationSettings): Playbook[] {
  const byName = new Map<string, Playbook>();
  if (settings.shippedPlaybooks) for (const playbook of shippedPlaybooks) byName.set(playbook.name, playbook);
  for (const playbook of settings.playbooks) byName.set(playbook.name, playbook);
  return [...byName.values()];
}

/** The named playbook (which must apply to the profile), or the first one for the profile. */
export function choosePlaybook(settings: RemediationSettings, profile: Profile, name?: string): Playbook {
  const all = availablePlaybooks(settings);
  const forProfile = all.filter((playbook) => playbook.profiles.includes(profile));
  if (name !== undefined) {
    const found = all.find((playbook) => playbook.name === name);
    const options = forProfile.map((playbook) => `"${playbook.name}"`).join(', ') || 'none';
    if (!found) throw new InputError('playbook', `no playbook named "${name}"; playbooks for ${profile}: ${options}`);
    if (!found.profiles.includes(profile))
      throw new InputError(
        'playbook',
        `"${name}" is for ${found.profiles.join(', ')}, not ${profile}; playbooks for ${profile}: ${options}`,
      );
    return found;
  }
  const first = forProfile[0];
  if (!first)
    throw new ToolError(
      'NOT_CONFIGURED',
      `no playbook applies to profile ${profile}; add one to monitoring.remediation.playbooks with profiles: ["${profile}"]`,
    );
  return first;
}
