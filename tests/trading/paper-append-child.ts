// A writer for the kill -9 test: places one-unit paper orders in a loop until it is killed.
// Run as: node --import tsx tests/trading/paper-append-child.ts <dataDir>
import { PaperBroker } from '../../tools/trading/paper/paper-broker.js';
import { createBarSource } from '../../tools/trading/market/market-store.js';

const dataDir = process.argv[2]!;
const broker = new PaperBroker({
  dataDir,
  bars: createBarSource({ dataDir } as Parameters<typeof createBarSource>[0]),
  initialCash: 1e12,
});
for (let placed = 0; ; placed += 1) {
  await broker.placeOrder({
    symbol: 'SPX',
    side: placed % 3 === 2 ? 'sell' : 'buy',
    quantity: 1,
    note: `child ${process.pid} #${placed}`,
  });
  if (placed === 0) process.stdout.write('placed\n');
}
