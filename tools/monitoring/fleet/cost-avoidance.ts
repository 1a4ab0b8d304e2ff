// Cost avoidance as a transparent formula: what faster incident handling saves a month, less what
// false alarms and running the monitoring cost, and how long the implementation takes to pay back.
// Every input is echoed in the result next to the formula, so the figure can be checked by hand.
import { z } from 'zod';

const amount = z.number().min(0).max(1e12);
const money = (what: string) => amount.describe(what);

export const costAvoidanceInputSchema = z.object({
  incidentCostPerHour: money('What an incident costs per hour of impact (revenue, SLA credits, people), e.g. 5000.'),
  minutesSavedPerIncident: z
    .number()
    .min(0)
    .max(100_000)
    .describe('Minutes of impact saved per incident by earlier detection and remediation, e.g. 25.'),
  incidentsPerMonth: z.number().min(0).max(1e6).describe('Incidents per month the monitoring catches, e.g. 6.'),
  falsePositivesPerMonth: z.number().min(0).max(1e6).describe('False alarms per month, e.g. 10.'),
  falsePositiveCost: money('What one false alarm costs, e.g. 15 minutes of an engineer at $120/h = 30.'),
  monthlyRunningCost: amount
    .default(0)
    .describe("Monthly cost of running the monitoring (hosts, Caelum's LLM cost), e.g. 200."),
  implementationCost: amount.default(0).describe('One-off cost of putting it in place, e.g. 20000.'),
});
export type CostAvoidanceInput = z.input<typeof costAvoidanceInputSchema>;

export const costAvoidanceSchema = z.object({
  inputs: costAvoidanceInputSchema.required(),
  formula: z.array(z.string()),
  avoidedIncidentCostPerMonth: z.number(),
  falsePositiveCostPerMonth: z.number(),
  monthlyRunningCost: z.number(),
  netPerMonth: z.number(),
  netFirstYear: z.number().describe('12 × netPerMonth − implementationCost'),
  paybackMonths: z.number().nullable().describe('implementationCost / netPerMonth; null when it never pays back'),
  paysBack: z.boolean(),
});
export type CostAvoidance = z.infer<typeof costAvoidanceSchema>;

export const costAvoidanceFormula = [
  'avoidedIncidentCostPerMonth = incidentsPerMonth × minutesSavedPerIncident / 60 × incidentCostPerHour',
  'falsePositiveCostPerMonth = falsePositivesPerMonth × falsePositiveCost',
  'netPerMonth = avoidedIncidentCostPerMonth − falsePositiveCostPerMonth − monthlyRunningCost',
  'netFirstYear = 12 × netPerMonth − implementationCost',
  'paybackMonths = implementationCost / netPerMonth when netPerMonth > 0 (0 when there is no implementation cost), else never',
];

export function estimateCostAvoidance(raw: CostAvoidanceInput): CostAvoidance {
  const inputs = costAvoidanceInputSchema.parse(raw);
  const avoided = (inputs.incidentsPerMonth * inputs.minutesSavedPerIncident * inputs.incidentCostPerHour) / 60;
  const falsePositives = inputs.falsePositivesPerMonth * inputs.falsePositiveCost;
  const net = avoided - falsePositives - inputs.monthlyRunningCost;
  const payback = net > 0 ? inputs.implementationCost / net : null;
  return {
    inputs,
    formula: costAvoidanceFormula,
    avoidedIncidentCostPerMonth: avoided,
    falsePositiveCostPerMonth: falsePositives,
    monthlyRunningCost: inputs.monthlyRunningCost,
    netPerMonth: net,
    netFirstYear: 12 * net - inputs.implementationCost,
    paybackMonths: payback,
    paysBack: payback !== null,
  };
}
