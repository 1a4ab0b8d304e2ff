// The project directory a development tool works on: inside the allowed roots, and a directory.
// Also the analysed view of it that several structure tools share (cached by content hash).
import path from 'node:path';
import { z } from 'zod';
import type { ToolContext } from '../context.js';
import { resolveInsideRoots } from '../roots.js';
import { InputError } from '../errors.js';
import { analyzeProject, type ProjectAnalysis } from './analysis/project-analysis.js';
import { typescript } from './typescript-module.js';

export const projectPathField = z
  .string()
  .default('.')
  .describe('Project directory inside the allowed roots. Default ".".');

export async function projectDirectory(requested: string, context: ToolContext, field = 'path'): Promise<string> {
  const target = await resolveInsideRoots(requested, context.environment.allowedRoots, field);
  if (!target.isDirectory) throw new InputError(field, `${requested} is a file; pass the project directory`);
  return target.absolute;
}

/** A path the caller gives relative to the project: normalised, and refused if absolute or escaping it. */
export function projectRelative(value: string, field: string): string {
  const relative = path.posix.normalize(value.replace(/\\/g, '/'));
  if (path.posix.isAbsolute(relative) || relative === '..' || relative.startsWith('../'))
    throw new InputError(field, `give ${field} relative to the project, inside it (not ${value})`);
  return relative;
}

export async function analysedProject(
  requested: string,
  context: ToolContext,
  paths?: string[],
): Promise<ProjectAnalysis> {
  const root = await projectDirectory(requested, context);
  return analyzeProject(typescript(), {
    root,
    dataDir: context.environment.dataDir,
    signal: context.signal,
    progress: (d, t, m) => context.progress(d, t, m),
    ...(paths?.length ? { paths } : {}),
  });
}
