// The macro voter: the regime and scenario signals of the newest usable knowledge snapshot for the
// symbol's country. risk_on votes LONG, risk_off SHORT, neutral FLAT, each as sure as the regime
// model's probability of the state behind it. With no usable snapshot it abstains and says why.
import type { ScannerSignals } from '../../../knowledge/snapshot/daily-outputs.js';
import type { Vote } from './vote.js';

export function macroVote(signals: ScannerSignals | undefined, country: string, weight: number, why?: string): Vote {
  const abstain = (reason: string): Vote => ({
    voter: 'macro',
    direction: 'FLAT',
    confidence: 0,
    weight,
    rationale: reason,
    abstained: reason,
  });
  if (!signals) return abstain(why ?? 'no usable knowledge snapshot');
  const wanted = country.toUpperCase();
  const row = signals.countries.find((c) => c.iso3.toUpperCase() === wanted || c.name.toUpperCase() === wanted);
  if (!row)
    return abstain(
      `snapshot ${signals.snapshot.name} has no country "${country}" (has ${signals.countries.map((c) => c.iso3).join(', ')})`,
    );
  if (row.signal === 'no_data' || !row.regime || !row.probabilities)
    return abstain(`snapshot ${signals.snapshot.name}: too little data for ${row.name}'s regime`);
  const p = row.probabilities;
  const crisis =
    row.crisisProbability12m === null ? '' : `, crisis odds 12m ${(row.crisisProbability12m * 100).toFixed(1)}%`;
  const base = `${row.name} ${row.regime} (P tranquil ${p.tranquil.toFixed(2)}, turbulent ${p.turbulent.toFixed(2)}, crisis ${p.crisis.toFixed(2)})${crisis}, signal ${row.signal}, snapshot ${signals.snapshot.name}`;
  if (row.signal === 'risk_on')
    return { voter: 'macro', direction: 'LONG', confidence: p.tranquil, weight, rationale: base };
  if (row.signal === 'risk_off')
    return { voter: 'macro', direction: 'SHORT', confidence: p.turbulent + p.crisis, weight, rationale: base };
  return {
    voter: 'macro',
    direction: 'FLAT',
    confidence: Math.max(p.tranquil, p.turbulent, p.crisis),
    weight,
    rationale: base,
  };
}
