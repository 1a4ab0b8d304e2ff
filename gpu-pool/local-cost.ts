// What an hour of local model time costs. A host may be priced per GPU-hour (a cloud rental, an
// amortised card) or from its power draw (watts × $/kWh); a host's own setting wins over the pool's.
// Unconfigured, local time is priced at $0 and every report says so, because then each "saving"
// is the whole Claude baseline.

export interface LocalCostSetting {
  usdPerGpuHour?: number | undefined;
  watts?: number | undefined;
  usdPerKwh?: number | undefined;
}

export type LocalCostBasis = 'unconfigured' | 'gpu_hour' | 'power';

export interface LocalRate {
  basis: LocalCostBasis;
  usdPerHour: number;
}

/** The rate of one setting, or undefined when the setting names neither a GPU-hour price nor power. */
function rateOf(setting: LocalCostSetting | undefined): LocalRate | undefined {
  if (!setting) return undefined;
  if (setting.usdPerGpuHour !== undefined) return { basis: 'gpu_hour', usdPerHour: setting.usdPerGpuHour };
  if (setting.watts !== undefined && setting.usdPerKwh !== undefined)
    return { basis: 'power', usdPerHour: (setting.watts / 1000) * setting.usdPerKwh };
  return undefined;
}

export function localRate(host: LocalCostSetting | undefined, pool: LocalCostSetting | undefined): LocalRate {
  return rateOf(host) ?? rateOf(pool) ?? { basis: 'unconfigured', usdPerHour: 0 };
}

/** Model time × rate. */
export function localCostUsd(rate: LocalRate, latencyMs: number): number {
  return (rate.usdPerHour * latencyMs) / 3_600_000;
}

export const localCostHelp =
  'local compute is priced at $0 because no local cost is configured, so each saving is the whole Claude baseline; set localCost.usdPerGpuHour, or localCost.watts and localCost.usdPerKwh, in the config (or CAELUM_LOCAL_USD_PER_GPU_HOUR / CAELUM_LOCAL_WATTS and CAELUM_LOCAL_USD_PER_KWH)';
