// `caelum kb …`: knowledge snapshot builds and their outputs from the command line (`kb sample` loads
// the bundled sample knowledge base, `kb source` says what the graph holds). `kb build` runs
// the same tool an agent calls, with a progress bar on stderr when stderr is a terminal (plain
// progress lines otherwise), and Ctrl-C cancels it cleanly (resume with --resume).
import type { LoadedConfig } from './config.js';
import type { ParsedArgs } from './arguments.js';
import { callThroughService } from './commands.js';
import { createSuite } from './composition.js';
import { print, printError, printJson } from './printer.js';
import { scrubText } from '../tools/secrets.js';

const kbTools: Record<string, string> = {
  list: 'knowledge_base_list_snapshots',
  verify: 'knowledge_base_verify_snapshot',
  diff: 'knowledge_base_diff_snapshots',
  signals: 'trading_generate_signals',
  status: 'knowledge_base_get_snapshot_status',
  sample: 'knowledge_base_load_sample',
  source: 'knowledge_base_get_source',
};

function progressBar(progress: number, total: number | undefined, message: string | undefined): string {
  const fraction = total ? Math.min(1, progress / total) : 0;
  const width = 30;
  const filled = Math.round(fraction * width);
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${(fraction * 100).toFixed(0).padStart(3)}% ${scrubText(message ?? '').slice(0, 70)}`;
}

export async function kbCommand(loaded: LoadedConfig, args: ParsedArgs): Promise<number> {
  const [sub, ...rest] = args.positionals;
  if (sub !== 'build' && !(sub && kbTools[sub])) {
    printError(`caelum kb: name a subcommand: build, ${Object.keys(kbTools).join(', ')}`);
    return 2;
  }
  const controller = new AbortController();
  process.once('SIGINT', () => controller.abort());
  // The graph belongs to the data dir's service when one runs: the sample loads through it.
  const viaService =
    (sub === 'sample' || sub === 'source') && loaded.config.service.enabled
      ? await callThroughService(loaded, 'runTool', { name: kbTools[sub], arguments: {} }, controller.signal).catch(
          () => undefined,
        )
      : undefined;
  const suite = createSuite(loaded.config, { followReplica: false });
  try {
    if (sub !== 'build') {
      const input: Record<string, unknown> = {};
      if (sub === 'verify' && rest[0]) input.snapshot = rest[0];
      if (sub === 'diff' && rest[0]) Object.assign(input, rest[1] ? { from: rest[0], to: rest[1] } : { to: rest[0] });
      const result =
        viaService ??
        (await suite.dispatcher.call(
          'runTool',
          { name: kbTools[sub]!, arguments: input },
          { signal: controller.signal },
        ));
      if (result.isError) {
        printError(`caelum kb ${sub}: ${result.text}`);
        return 1;
      }
      if (args.json) printJson(result.structuredContent);
      else
        print(
          sub === 'signals'
            ? String((result.structuredContent as { result?: { report?: string } })?.result?.report ?? result.text)
            : result.text,
        );
      return 0;
    }
    await suite.pool.reprobe();
    const tty = process.stderr.isTTY === true;
    let lastLine = 0;
    const input = {
      resume: args.switches.has('resume'),
      skipLlm: args.switches.has('skip-llm'),
      offline: args.switches.has('offline'),
      skipIngestion: args.switches.has('skip-ingestion'),
      publish: args.switches.has('publish'),
      // --publish typed at the terminal is the person's own confirmation.
      confirm: args.switches.has('publish'),
    };
    const result = await suite.dispatcher.call('buildKnowledgeSnapshot', input, {
      signal: controller.signal,
      progress: (progress: number, total?: number, message?: string) => {
        if (tty) process.stderr.write(`\r${progressBar(progress, total, message)}\u001b[K`);
        else if (Date.now() - lastLine > 2000) {
          lastLine = Date.now();
          process.stderr.write(`${progressBar(progress, total, message)}\n`);
        }
      },
    });
    if (tty) process.stderr.write('\n');
    if (result.isError) {
      printError(
        `caelum kb build: ${result.text}${controller.signal.aborted ? '\nCancelled; continue with: caelum kb build --resume' : ''}`,
      );
      return 1;
    }
    if (args.json) printJson(result.structuredContent);
    else print(result.text);
    return 0;
  } finally {
    await suite.close();
  }
}
