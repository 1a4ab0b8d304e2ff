// How a front-end starts the service: the same CLI entry, with the configuration flags it was
// given, so that the service reads the same configuration.
import type { ParsedArgs } from './arguments.js';
import type { StartSpec } from './service-client.js';

export function startSpec(args: ParsedArgs, entry: string): StartSpec {
  const flags = args.flags;
  const forwarded: string[] = [];
  if (flags.config) forwarded.push('--config', flags.config);
  if (flags.dataDir) forwarded.push('--data-dir', flags.dataDir);
  for (const root of flags.allowedRoots ?? []) forwarded.push('--allowed-root', root);
  if (flags.logLevel) forwarded.push('--log-level', flags.logLevel);
  if (flags.threshold !== undefined) forwarded.push('--threshold', flags.threshold);
  return { entry, args: forwarded };
}
