// The advisory check as a report field: whether dependencies were checked, against which source,
// and why not when they were not.
import { z } from 'zod';
import { advisoryNote, type AdvisoryCheck } from './advisories.js';

export { advisoryNote };

export const advisoryStatusSchema = z
  .object({
    status: z
      .enum(['checked', 'unavailable', 'off', 'no-manifest'])
      .describe('checked; unavailable: no advisory source answered, so nothing was checked; off; no-manifest'),
    source: z.string().optional().describe('the advisory source that answered'),
    reason: z.string().optional().describe('why dependencies were not checked'),
    checked: z.number().int().describe('packages looked up (direct, and transitive ones when a lockfile pins them)'),
    vulnerable: z.number().int().describe('packages with a known vulnerability at the checked version'),
  })
  .describe('known-vulnerable dependency check (CWE-1395 findings sit at package.json lines)');

export const advisoryStatus = (check: AdvisoryCheck): z.infer<typeof advisoryStatusSchema> => ({
  status: check.status,
  ...(check.source ? { source: check.source } : {}),
  ...(check.reason ? { reason: check.reason } : {}),
  checked: check.checked,
  vulnerable: check.vulnerable.length,
});
