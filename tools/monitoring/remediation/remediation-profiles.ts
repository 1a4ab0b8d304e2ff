// The seed contract's 7 server profiles, as the remediation module sees them. The fleet contract
// module (issue 19) owns the real declaration with its version and hash; this is the one place to
// swap for it when the two are wired together.
import { z } from 'zod';

export const remediationProfiles = [
  'ml_compute',
  'database',
  'web_api',
  'conductor_mgmt',
  'data_ingest',
  'risk_analytics',
  'generic',
] as const;

export const profileSchema = z.enum(remediationProfiles);
export type Profile = z.infer<typeof profileSchema>;
