// A stdio transport for the server side. The SDK's own closes itself when a line passes its buffer
// limit and drops malformed lines without a word; this one answers them as JSON-RPC says (parse
// error -32700 or invalid request -32600, id null when unknown), discards an oversized line up to
// its newline, keeps serving, and reports stdin EOF as close.
import type { Readable, Writable } from 'node:stream';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { JSONRPCMessageSchema, type JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';

export const defaultMaxLineBytes = 16 * 1024 * 1024;

export class LineStdioTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;

  private chunks: Buffer[] = [];
  private buffered = 0;
  private discarding = false;
  private closed = false;

  constructor(
    private readonly input: Readable = process.stdin,
    private readonly output: Writable = process.stdout,
    private readonly maxLineBytes = defaultMaxLineBytes,
    /**
     * Client side (a mounted server's stdout): a bad line is reported here instead of answered,
     * since a server does not expect error replies to its own noise.
     */
    private readonly malformed?: (problem: string) => void,
  ) {}

  private readonly onData = (chunk: Buffer) => {
    let start = 0;
    for (let newline = chunk.indexOf(10); newline !== -1; newline = chunk.indexOf(10, start)) {
      this.take(chunk.subarray(start, newline));
      this.finishLine();
      start = newline + 1;
    }
    if (start < chunk.length) this.take(chunk.subarray(start));
  };

  private readonly onEnd = () => void this.close();
  private readonly onStreamError = (error: Error) => this.onerror?.(error);

  private take(part: Buffer): void {
    if (this.discarding) return;
    if (this.buffered + part.length > this.maxLineBytes) {
      this.chunks = [];
      this.buffered = 0;
      this.discarding = true;
      this.reply(null, -32600, `Invalid Request: message over ${this.maxLineBytes} bytes was discarded`);
      return;
    }
    this.chunks.push(part);
    this.buffered += part.length;
  }

  private finishLine(): void {
    if (this.discarding) {
      this.discarding = false;
      return;
    }
    const line = Buffer.concat(this.chunks, this.buffered).toString('utf8').replace(/\r$/, '');
    this.chunks = [];
    this.buffered = 0;
    if (line.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (error) {
      this.reply(null, -32700, `Parse error: ${(error as Error).message}`);
      return;
    }
    const parsed = JSONRPCMessageSchema.safeParse(value);
    if (!parsed.success) {
      const id =
        typeof value === 'object' &&
        value !== null &&
        'id' in value &&
        (typeof value.id === 'string' || typeof value.id === 'number')
          ? value.id
          : null;
      this.reply(id, -32600, 'Invalid Request: not a JSON-RPC 2.0 message (batches are not supported)');
      return;
    }
    this.onmessage?.(parsed.data);
  }

  private reply(id: string | number | null, code: number, message: string): void {
    if (this.malformed) return this.malformed(message);
    this.write(`${JSON.stringify({ jsonrpc: '2.0', id, error: { code, message } })}\n`);
  }

  private write(text: string): Promise<void> {
    return new Promise((resolve) => {
      if (this.closed || !this.output.writable) return resolve();
      if (this.output.write(text)) resolve();
      else this.output.once('drain', resolve);
    });
  }

  async start(): Promise<void> {
    this.input.on('data', this.onData);
    this.input.on('end', this.onEnd);
    this.input.on('error', this.onStreamError);
    // A socket handed over paused (after a service handshake) does not flow by itself.
    this.input.resume();
  }

  send(message: JSONRPCMessage): Promise<void> {
    return this.write(`${JSON.stringify(message)}\n`);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.input.off('data', this.onData);
    this.input.off('end', this.onEnd);
    this.input.off('error', this.onStreamError);
    this.input.pause();
    this.onclose?.();
  }
}
