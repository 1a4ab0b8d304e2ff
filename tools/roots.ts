// Confines paths to the configured roots. Symlinks are resolved before the check, so a link inside a
// root that points outside it is refused too.
import { realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { InputError } from './errors.js';

function inside(child: string, parent: string): boolean {
  const relative = path.relative(parent, child);
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
}

export interface ResolvedPath {
  absolute: string;
  root: string;
  isDirectory: boolean;
}

/**
 * Resolves `requested` (relative paths against the first root) and checks it lies inside a root.
 * `field` names the argument in error messages.
 */
export async function resolveInsideRoots(
  requested: string,
  roots: readonly string[],
  field: string,
): Promise<ResolvedPath> {
  if (roots.length === 0) throw new InputError(field, 'no allowed roots are configured; set CAELUM_ALLOWED_ROOTS');
  if (requested.includes('\0')) throw new InputError(field, 'path contains a NUL byte');
  const base = roots[0]!;
  const candidate = path.resolve(base, requested);
  const realRoots = await Promise.all(roots.map((root) => realpath(root).catch(() => path.resolve(root))));
  // A path that is outside the roots as written is refused before the file system is asked, so the
  // answer never tells whether something outside exists.
  const outside = () =>
    new InputError(
      field,
      `${requested} is outside the allowed roots (${roots.join(', ')}); pass a path inside them, or add its directory to CAELUM_ALLOWED_ROOTS`,
    );
  if (!roots.some((root, i) => inside(candidate, path.resolve(root)) || inside(candidate, realRoots[i]!)))
    throw outside();
  let real: string;
  try {
    real = await realpath(candidate);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR')
      throw new InputError(field, `${requested} does not exist; pass an existing path inside ${roots.join(', ')}`);
    throw new InputError(field, `${requested} cannot be read (${code ?? 'error'})`);
  }
  const root = realRoots.find((r) => inside(real, r));
  if (!root) throw outside();
  const info = await stat(real);
  return { absolute: real, root, isDirectory: info.isDirectory() };
}
