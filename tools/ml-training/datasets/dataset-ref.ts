// The one way a dataset reference becomes a directory and its manifest, shared by the job submit,
// the evaluation and the registry: a bare name (a dataset prepared into the data dir first, then a
// path in the first root), a path inside the allowed roots, or an absolute path inside
// <dataDir>/ml-training/datasets (the `directory` prepareDataset returns). Links are resolved before
// each check, so nothing reached through a link outside those directories is read.
import path from 'node:path';
import { Confinement, asInputError, isInside, readConfinedText } from '../../confined-fs.js';
import { InputError } from '../../errors.js';
import { resolveInsideRoots } from '../../roots.js';

export interface DatasetRef {
  /** The dataset directory, links resolved. */
  directory: string;
  /** manifest.json, parsed. */
  manifest: Record<string, unknown>;
  /** manifest.json as read (for a hash). */
  text: string;
}

const bareName = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
const maxManifestBytes = 16 * 1024 * 1024;

/** Where prepareDataset puts a dataset without outputDir. */
export function dataDirDatasets(dataDir: string): string {
  return path.join(dataDir, 'ml-training', 'datasets');
}

async function readManifest(
  directory: string,
  confinement: Confinement,
  requested: string,
  field: string,
): Promise<DatasetRef> {
  const file = path.join(directory, 'manifest.json');
  let text: string;
  try {
    text = await readConfinedText(file, confinement, { maxBytes: maxManifestBytes });
  } catch (error) {
    const refused = asInputError(error, field, `${requested}/manifest.json`);
    if (refused instanceof InputError && refused.message.includes('does not exist'))
      throw new InputError(field, `${requested} has no manifest.json; pass a directory made by prepareDataset`);
    throw refused;
  }
  let manifest: unknown;
  try {
    manifest = JSON.parse(text);
  } catch {
    throw new InputError(field, `${requested}/manifest.json is not JSON; prepare the dataset again`);
  }
  if (typeof manifest !== 'object' || manifest === null || Array.isArray(manifest))
    throw new InputError(field, `${requested}/manifest.json is not a dataset manifest; prepare the dataset again`);
  return { directory, manifest: manifest as Record<string, unknown>, text };
}

/** A directory inside <dataDir>/ml-training/datasets, links resolved; undefined when it is not there. */
async function inDataDir(candidate: string, datasets: string): Promise<string | undefined> {
  const resolved = await resolveInsideRoots(candidate, [datasets], 'dataset').catch(() => undefined);
  return resolved?.isDirectory && resolved.absolute !== resolved.root ? resolved.absolute : undefined;
}

/**
 * Resolves a dataset reference to its directory and manifest. `field` names the argument in errors.
 */
export async function resolveDataset(
  requested: string,
  environment: { allowedRoots: readonly string[]; dataDir: string },
  field = 'dataset',
): Promise<DatasetRef> {
  if (requested.includes('\0')) throw new InputError(field, 'path contains a NUL byte');
  const datasets = dataDirDatasets(environment.dataDir);
  if (bareName.test(requested) && requested !== '..') {
    const directory = await inDataDir(path.join(datasets, requested), datasets);
    if (directory) {
      const found = await readManifest(directory, await Confinement.of([datasets]), requested, field).catch(
        () => undefined,
      );
      if (found) return found;
    }
  } else if (
    path.isAbsolute(requested) &&
    // As configured, or with links resolved (the form prepareDataset and the plan report it in).
    (isInside(path.resolve(requested), path.resolve(datasets)) ||
      isInside(path.resolve(requested), await realDirectory(datasets)))
  ) {
    const directory = await inDataDir(requested, datasets);
    if (!directory)
      throw new InputError(
        field,
        `${requested} is not a dataset directory in ${datasets} (missing, or a link out of it); pass a name from prepareDataset`,
      );
    return readManifest(directory, await Confinement.of([datasets], 'the data-dir datasets'), requested, field);
  }
  const resolved = await resolveInsideRoots(requested, environment.allowedRoots, field);
  const directory = resolved.isDirectory ? resolved.absolute : path.dirname(resolved.absolute);
  return readManifest(directory, await Confinement.of(environment.allowedRoots), requested, field);
}

/** The datasets directory with links resolved; itself when it does not exist yet. */
async function realDirectory(directory: string): Promise<string> {
  try {
    return (await Confinement.of([directory])).directories[0] ?? path.resolve(directory);
  } catch {
    return path.resolve(directory);
  }
}
