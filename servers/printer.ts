// The CLI's printer: the one place that writes to stdout outside the MCP wire. In `serve` over
// stdio nothing may be printed here at all; stdout belongs to the protocol.

export function print(text: string): void {
  process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
}

export function printJson(value: unknown): void {
  print(JSON.stringify(value, null, 2));
}

export function printError(text: string): void {
  process.stderr.write(text.endsWith('\n') ? text : `${text}\n`);
}
