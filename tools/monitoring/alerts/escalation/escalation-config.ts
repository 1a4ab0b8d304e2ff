// The escalation policy as configuration (zod): tiers of receivers with delays, per-profile
// overrides for the seed contract's 7 profiles, the ack time-to-live, and what an expired ack does.
// The lead puts `escalationPolicySchema` under config `monitoring.alerting.escalation`.
import { z } from 'zod';
import { profileSchema } from '../../fleet/contract.js';

export type EscalationProfile = z.infer<typeof profileSchema>;

export const escalationTierSchema = z.object({
  receiver: z.string().min(1).describe('Receiver name from the Alertmanager config, e.g. "pagerduty-oncall".'),
  afterMs: z
    .number()
    .int()
    .min(0)
    .max(7 * 86_400_000)
    .describe('Delay from the start of escalation (the alert first seen) until this tier is notified.'),
});
export type EscalationTier = z.infer<typeof escalationTierSchema>;

const tiersSchema = z
  .array(escalationTierSchema)
  .min(1)
  .max(10)
  .refine((tiers) => tiers.every((tier, i) => i === 0 || tier.afterMs >= tiers[i - 1]!.afterMs), {
    message: 'tier delays must not decrease (tier 1 first)',
  });

export const escalationPolicySchema = z.object({
  enabled: z.boolean().default(true).describe('Whether escalation runs at all.'),
  severities: z
    .array(z.string().min(1))
    .min(1)
    .default(['critical'])
    .describe('Values of the severity label that escalate; default only critical.'),
  severityLabel: z.string().default('severity').describe('The label holding the severity.'),
  profileLabel: z.string().default('profile').describe('The label holding the server profile; missing means generic.'),
  tiers: tiersSchema
    .default([
      { receiver: 'pagerduty', afterMs: 0 },
      { receiver: 'slack', afterMs: 15 * 60_000 },
      { receiver: 'email', afterMs: 45 * 60_000 },
    ])
    .describe('Default tiers: PagerDuty at once, Slack after 15 min, email after 45 min unacked.'),
  profiles: z
    .partialRecord(
      profileSchema,
      z.object({ tiers: tiersSchema.describe('Tiers replacing the default for this profile.') }),
    )
    .default({})
    .describe('Per-profile tiers, e.g. database escalating faster than generic.'),
  ackTtlMs: z
    .number()
    .int()
    .min(60_000)
    .max(7 * 86_400_000)
    .default(4 * 3600_000)
    .describe('How long an ack holds when the ack gives no ttl; default 4 h.'),
  maxAckTtlMs: z
    .number()
    .int()
    .min(60_000)
    .max(30 * 86_400_000)
    .default(86_400_000)
    .describe('The longest ack allowed; default 24 h.'),
  onAckExpiry: z
    .enum(['resume_next_tier', 'restart'])
    .default('resume_next_tier')
    .describe(
      'resume_next_tier: at expiry the next tier not yet notified hears at once, later tiers keep their gaps; restart: start again from tier 1.',
    ),
});
export type EscalationPolicy = z.infer<typeof escalationPolicySchema>;
export type EscalationPolicyInput = z.input<typeof escalationPolicySchema>;

export function tiersFor(policy: EscalationPolicy, profile: EscalationProfile): EscalationTier[] {
  return policy.profiles[profile]?.tiers ?? policy.tiers;
}
