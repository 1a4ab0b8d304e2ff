// The fleet's configuration as one schema, for the lead to place under config `monitoring.fleet`:
// the timezone of the time-of-day windows, per-profile threshold overrides (checked against the
// contract), maintenance windows, the forecast's shape and the optional ONNX fleet model.
import { z } from 'zod';
import { InputError } from '../../errors.js';
import { maintenanceWindowSchema, type ClassifyOptions, type MaintenanceWindow } from './classify.js';
import { checkProfile } from './contract.js';
import { fleetModelConfigSchema } from './fleet-model.js';
import { fleetRulesOverrideSchema, rulesWithOverrides } from './rules.js';

export const fleetConfigSchema = z.object({
  timezoneOffsetMinutes: z
    .number()
    .int()
    .min(-840)
    .max(840)
    .default(0)
    .describe('Minutes east of UTC for the morning window and daily maintenance windows, e.g. 60 for CET.'),
  thresholds: fleetRulesOverrideSchema.optional(),
  maintenance: z.array(maintenanceWindowSchema).max(1000).default([]).describe('Maintenance windows.'),
  forecast: z
    .object({
      horizonHours: z.number().positive().max(720).default(6).describe('Hours ahead to forecast.'),
      seasonHours: z.number().positive().max(8760).default(24).describe('Season length: 24 daily, 168 weekly.'),
      stepMinutes: z.number().positive().max(1440).default(5).describe('Resolution the history is read at.'),
      historyDays: z.number().positive().max(60).default(7).describe('Days of history read per series.'),
      delta: z.number().positive().max(10).default(3).describe('Band width in Brutlag deviations.'),
    })
    .default({ horizonHours: 6, seasonHours: 24, stepMinutes: 5, historyDays: 7, delta: 3 })
    .describe('Forecast settings.'),
  model: fleetModelConfigSchema.optional().describe('An ONNX fleet model; checked against the contract before load.'),
});
export type FleetConfig = z.infer<typeof fleetConfigSchema>;

/** Classifier options from a parsed config; unknown profiles in overrides or windows are refused with the hash. */
export function classifyOptionsFromConfig(config: FleetConfig, field = 'monitoring.fleet'): ClassifyOptions {
  checkMaintenanceWindows(config.maintenance, `${field}.maintenance`);
  return {
    rules: rulesWithOverrides(config.thresholds, `${field}.thresholds`),
    timezoneOffsetMinutes: config.timezoneOffsetMinutes,
    maintenance: config.maintenance,
  };
}

/** Each window's profiles are contract profiles, and it is either one-off or recurring. */
export function checkMaintenanceWindows(windows: readonly MaintenanceWindow[], field: string): void {
  windows.forEach((w, i) => {
    w.profiles?.forEach((p, j) => checkProfile(p, `${field}.${i}.profiles.${j}`));
    if ((w.startsAt === undefined) !== (w.endsAt === undefined) || (!w.startsAt && !w.daily))
      throw new InputError(`${field}.${i}`, 'give startsAt and endsAt (one-off) or daily {from, to} (recurring)');
  });
}
