// Model and alias names. A model is named for what it does; its versions are numbers the registry
// hands out (1, 2, 3…) and aliases (production, candidate, …) say which version answers. A version
// written into a name (`mlp-v2`, `ranker-1.3`, `encoder_2024`) is what let the seed systems load a
// stale checkpoint by name, so such names are refused with the alias way spelled out.
import { InputError } from '../../errors.js';

export const modelNamePattern = /^[a-z][a-z0-9_-]{0,62}$/;
export const aliasPattern = /^[a-z][a-z0-9_-]{0,62}$/;

/** Words that are aliases or moving targets, never names. */
const reservedNames = new Set(['production', 'candidate', 'staging', 'champion', 'challenger', 'latest']);

/** Why `name` carries a version, or undefined when it does not. */
export function versionInName(name: string): string | undefined {
  if (/\d+\.\d+/.test(name)) return 'a dotted version number';
  for (const token of name.split(/[-_]+/)) {
    if (/^v\d+/.test(token) || /[a-z]v\d+$/.test(token)) return `the version token "${token}"`;
    if (/^\d+$/.test(token)) return `the number "${token}"`;
    if (/^(rev|version|ver|release)\d*$/.test(token)) return `the word "${token}"`;
  }
  return undefined;
}

export function checkModelName(name: string, field = 'name'): void {
  const version = versionInName(name);
  if (version)
    throw new InputError(
      field,
      `"${name}" carries ${version}; a model name says what the model does (e.g. profile-mlp) and never its version: the registry numbers versions 1, 2, 3… itself, and an alias (production, candidate) points at the version that should answer`,
    );
  if (!modelNamePattern.test(name))
    throw new InputError(
      field,
      `"${name}" is not a model name; use a lowercase letter then letters, digits, - or _ (at most 63), e.g. profile-mlp`,
    );
  if (reservedNames.has(name))
    throw new InputError(field, `"${name}" is an alias word; name the model for what it does (e.g. profile-mlp)`);
}

export function checkAlias(alias: string, field = 'alias'): void {
  if (!aliasPattern.test(alias))
    throw new InputError(
      field,
      `"${alias}" is not an alias; use a lowercase letter then letters, digits, - or _ (e.g. production, candidate)`,
    );
  if (/^v?\d+$/.test(alias) || versionInName(alias))
    throw new InputError(field, `"${alias}" looks like a version; an alias is a role such as production or candidate`);
}
