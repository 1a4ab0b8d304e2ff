// Runs loopback Ollama peers in a process of their own, so a benchmark measures the pool without
// the peers sharing its event loop. Prints the URLs as one JSON line; takes commands on stdin as
// JSON lines: {"peer": 0, "action": "stop" | "stall" | "heal"}. Exits when stdin closes.
import { createInterface } from 'node:readline';
import { OllamaPeer, type OllamaPeerOptions } from './ollama-peer.js';

const options = JSON.parse(process.argv[2] ?? '[{}]') as OllamaPeerOptions[];
const peers = await Promise.all(
  options.map(async (o) => {
    const peer = new OllamaPeer(o);
    await peer.start();
    return peer;
  }),
);
process.stdout.write(`${JSON.stringify(peers.map((p) => p.url))}\n`);
for await (const line of createInterface({ input: process.stdin })) {
  const command = JSON.parse(line) as { peer: number; action: 'stop' | 'stall' | 'heal' };
  const peer = peers[command.peer]!;
  if (command.action === 'stop') await peer.stop();
  else if (command.action === 'stall') peer.breakWith({ kind: 'stall' });
  else peer.heal();
  process.stdout.write(`${JSON.stringify({ done: command })}\n`);
}
await Promise.all(peers.map((p) => p.stop()));
process.exit(0);
