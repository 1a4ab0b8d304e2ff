// One alert service instance in its own process, for the takeover test: it opens the shared log at
// argv[2] (a databaseUrl) with the Alertmanager YAML in argv[3], prints "leading" once it holds the
// leader lock, and runs until the test kills it with SIGKILL (no close, no goodbye to PostgreSQL).
import { captureLogger } from '../helpers.js';
import { AlertService } from '../../tools/monitoring/alerts/alert-service.js';
import { parseAlertmanagerConfig } from '../../tools/monitoring/alerts/routing/am-config.js';

const [databaseUrl, yaml] = process.argv.slice(2) as [string, string];
const service = await AlertService.open(
  '/nonexistent-data-dir',
  {
    config: parseAlertmanagerConfig(yaml),
    configSource: 'test',
    externalUrl: 'http://caelum.test',
    tickMs: 100,
    leaderPollMs: 200,
    databaseUrl,
  },
  captureLogger().logger,
);
service.start();
let said = false;
const keepAlive = setInterval(() => {
  if (service.leading && !said) process.stdout.write('leading\n');
  said ||= service.leading;
}, 50);
process.on('SIGTERM', () => {
  clearInterval(keepAlive);
  void service.close().then(() => process.exit(0));
});
