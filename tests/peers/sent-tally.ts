// What a loopback model host counts as sent: a response's tokens once it has been written whole, in
// all and per Caelum call (`x-request-id`), so the load test can hold the ledger against it.
import type http from 'node:http';

export interface SentTally {
  readonly tokensSent: { prompt: number; completion: number };
  answered: number;
  readonly sentByRequestId: Map<string, { prompt: number; completion: number; requests: number }>;
}

export function countWhenSent(tally: SentTally, res: http.ServerResponse, prompt: number, completion: number): void {
  res.once('finish', () => {
    tally.tokensSent.prompt += prompt;
    tally.tokensSent.completion += completion;
    tally.answered++;
    const id = res.req.headers['x-request-id'];
    if (typeof id !== 'string') return;
    const seen = tally.sentByRequestId.get(id) ?? { prompt: 0, completion: 0, requests: 0 };
    seen.prompt += prompt;
    seen.completion += completion;
    seen.requests++;
    tally.sentByRequestId.set(id, seen);
  });
}
