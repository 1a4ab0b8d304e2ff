// npm audit run where nothing of the project's or the user's npm configuration can reach it, and
// the shape of its JSON report; shared by the audit tool and the advisory check of the report.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runProcess, type ProcessResult } from '../run-process.js';
import type { ToolContext } from '../../context.js';
import { ConfinedError, fileCaps, readProjectText } from '../../confined-fs.js';

export interface AuditJson {
  vulnerabilities?: Record<
    string,
    {
      name: string;
      severity: string;
      isDirect?: boolean;
      range?: string;
      via?: (
        | string
        | {
            title?: string;
            url?: string;
            source?: number;
            name?: string;
            severity?: string;
            cwe?: string[];
            cvss?: { score?: number };
            range?: string;
          }
      )[];
      fixAvailable?: boolean | { name: string; version: string; isSemVerMajor?: boolean };
    }
  >;
  metadata?: { vulnerabilities?: Record<string, number>; dependencies?: { total?: number } };
  error?: { code?: string; summary?: string; detail?: string };
  message?: string;
  statusCode?: number;
}

export const offline =
  /ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENETUNREACH|EHOSTUNREACH|network|socket hang up|request to .* failed/i;

/**
 * Runs `npm audit` where nothing of the project's or the user's npm configuration can reach it: in a
 * temporary directory holding only copies of package.json and the lockfile (so the project's .npmrc,
 * which may hold `_authToken=${SOME_KEY}` or a registry of its choosing, is never read), with
 * --userconfig and --globalconfig pointing at empty files Caelum wrote, a temporary HOME and cache,
 * and the allow-listed child environment (no npm_config_* variables, no keys). npm so has no
 * credential of any kind to send, whichever registry the caller names.
 */
export async function isolatedAudit(
  root: string,
  registry: string | undefined,
  timeoutMs: number,
  context: ToolContext,
): Promise<ProcessResult> {
  const scratch = await mkdtemp(path.join(tmpdir(), 'caelum-audit-'));
  try {
    const project = path.join(scratch, 'project');
    const home = path.join(scratch, 'home');
    await Promise.all([mkdir(project), mkdir(home)]);
    // Copied through the confined layer: a manifest linked to /dev/zero or out of the project is refused.
    for (const file of ['package.json', 'package-lock.json', 'npm-shrinkwrap.json']) {
      let text: string;
      try {
        text = await readProjectText(root, file, fileCaps.large);
      } catch (error) {
        if (error instanceof ConfinedError && error.reason === 'missing') continue;
        throw error;
      }
      await writeFile(path.join(project, file), text);
    }
    const userconfig = path.join(scratch, 'userconfig.npmrc');
    const globalconfig = path.join(scratch, 'globalconfig.npmrc');
    await Promise.all([writeFile(userconfig, ''), writeFile(globalconfig, '')]);
    const args = [
      'audit',
      '--json',
      '--package-lock-only',
      '--ignore-scripts',
      '--fetch-retries=0',
      `--fetch-timeout=${timeoutMs}`,
      '--userconfig',
      userconfig,
      '--globalconfig',
      globalconfig,
      ...(registry ? ['--registry', registry] : []),
    ];
    return await runProcess('npm', args, {
      cwd: project,
      timeoutMs,
      signal: context.signal,
      env: {
        ...context.environment.childEnvironment,
        HOME: home,
        npm_config_cache: path.join(scratch, 'cache'),
        npm_config_update_notifier: 'false',
        npm_config_fund: 'false',
      },
    });
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}
