// The CLI's printer: the one place that writes to stdout outside the MCP wire. In `serve` over
// stdio nothing may be printed here at all; stdout belongs to the protocol. Everything printed is
// scrubbed of the process's secrets (tools/secrets.ts).
import { scrubText } from '../tools/secrets.js';

export function print(text: string): void {
  const clean = scrubText(text);
  process.stdout.write(clean.endsWith('\n') ? clean : `${clean}\n`);
}

export function printJson(value: unknown): void {
  print(JSON.stringify(value, null, 2));
}

export function printError(text: string): void {
  const clean = scrubText(text);
  process.stderr.write(clean.endsWith('\n') ? clean : `${clean}\n`);
}
