// Uses of declared packages that no import shows: binaries run by npm scripts (mapped to their
// packages through node_modules/<pkg>/package.json "bin", else the package's own name), and
// plugins, presets and environments named in tool configuration (ESLint, Babel, Jest, PostCSS,
// Prettier, TypeScript, ...), in package.json or in the tools' config files.
import path from 'node:path';
import { ConfinedError, fileCaps, parseJsonFile, readProjectJson, readProjectText } from '../../confined-fs.js';
import type { Manifest } from './lockfile.js';

/** The package a module specifier belongs to ("@a/b/c" → "@a/b", "x/y" → "x"). */
export const packageOf = (specifier: string): string =>
  specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0]!;

async function binariesOf(root: string, name: string): Promise<string[]> {
  try {
    const installed = await readProjectJson<{ bin?: string | Record<string, string> }>(
      root,
      path.join('node_modules', name, 'package.json'),
    );
    if (typeof installed.bin === 'string') return [name.replace(/^@[^/]+\//, '')];
    if (installed.bin && typeof installed.bin === 'object') return Object.keys(installed.bin);
  } catch {
    // Not installed (or refused): the package's own name is the only guess.
  }
  return [];
}

/** Shell words of a script line: commands, flags and arguments, split at operators and `=`. */
function scriptWords(script: string): string[] {
  return script
    .split(/&&|\|\||[;|&()<>\s]+/)
    .flatMap((word) => word.split('='))
    .map((word) => word.replace(/^['"]+|['"]+$/g, ''))
    .filter(Boolean);
}

/** Declared packages run by the manifest's scripts. */
export async function packagesUsedByScripts(
  root: string,
  manifest: Manifest,
  declared: Set<string>,
): Promise<string[]> {
  const scripts = Object.values(manifest.scripts ?? {}).filter((s): s is string => typeof s === 'string');
  if (scripts.length === 0) return [];
  const byBinary = new Map<string, string>();
  for (const name of declared) {
    byBinary.set(name, name);
    byBinary.set(name.replace(/^@[^/]+\//, ''), byBinary.get(name.replace(/^@[^/]+\//, '')) ?? name);
  }
  for (const name of declared) for (const binary of await binariesOf(root, name)) byBinary.set(binary, name);
  const used = new Set<string>();
  for (const word of scripts.flatMap(scriptWords)) {
    const direct = byBinary.get(word) ?? byBinary.get(path.posix.basename(word));
    if (direct) used.add(direct);
    // `node -r ts-node/register`, `--import tsx`, `--loader @swc-node/register/esm`
    const owner = packageOf(word);
    if (declared.has(owner)) used.add(owner);
  }
  return [...used];
}

/** Config files whose strings name plugins, presets, parsers and environments. */
const configFiles = [
  '.eslintrc',
  '.eslintrc.json',
  '.eslintrc.js',
  '.eslintrc.cjs',
  '.eslintrc.yml',
  '.eslintrc.yaml',
  'eslint.config.js',
  'eslint.config.mjs',
  'eslint.config.cjs',
  'eslint.config.ts',
  '.babelrc',
  '.babelrc.json',
  '.babelrc.js',
  'babel.config.js',
  'babel.config.cjs',
  'babel.config.json',
  'jest.config.js',
  'jest.config.cjs',
  'jest.config.mjs',
  'jest.config.ts',
  'jest.config.json',
  'postcss.config.js',
  'postcss.config.cjs',
  'postcss.config.mjs',
  '.postcssrc',
  '.postcssrc.json',
  '.prettierrc',
  '.prettierrc.json',
  'prettier.config.js',
  '.mocharc.json',
  '.mocharc.js',
  '.mocharc.yml',
  '.stylelintrc',
  '.stylelintrc.json',
  'tsconfig.json',
  '.swcrc',
  'commitlint.config.js',
  '.lintstagedrc',
  '.lintstagedrc.json',
];
/** package.json keys that hold tool configuration. */
const manifestConfigKeys = [
  'eslintConfig',
  'babel',
  'jest',
  'prettier',
  'postcss',
  'stylelint',
  'mocha',
  'ava',
  'nyc',
  'c8',
  'commitlint',
  'lint-staged',
  'husky',
  'xo',
];

/** The names a config string can stand for, by each tool's naming convention. */
function candidateNames(value: string): string[] {
  const word = value.trim();
  if (!/^(@[\w.-]+\/)?[\w.-]+(\/[\w./-]*)?$/.test(word)) return [];
  const owner = packageOf(word);
  const names = [owner];
  const scoped = /^(@[\w.-]+)(?:\/([\w.-]+))?$/.exec(owner);
  const base = word.replace(/^plugin:/, '').split('/')[0]!;
  for (const prefix of [
    'eslint-plugin-',
    'eslint-config-',
    'babel-plugin-',
    'babel-preset-',
    'jest-environment-',
    'prettier-plugin-',
    'stylelint-config-',
    'postcss-',
  ])
    names.push(`${prefix}${base}`);
  if (scoped) {
    // "@scope" → "@scope/eslint-plugin"; "@scope/x" → "@scope/eslint-plugin-x"; "@babel/env" → "@babel/preset-env"
    const [, scope, rest] = scoped;
    names.push(`${scope}/eslint-plugin`, `${scope}/eslint-config`);
    if (rest)
      names.push(
        `${scope}/eslint-plugin-${rest}`,
        `${scope}/eslint-config-${rest}`,
        `${scope}/preset-${rest}`,
        `${scope}/plugin-${rest}`,
      );
  }
  const plugin = /^plugin:(@?[\w.-]+)/.exec(word);
  if (plugin) names.push(`eslint-plugin-${plugin[1]}`, `${plugin[1]}/eslint-plugin`);
  return names;
}

// Quoted strings, bare YAML words on a line of their own, and bare object keys (`autoprefixer: {}`).
const stringLiterals =
  /(["'`])((?:(?!\1)[^\\\n]|\\.){1,200})\1|^\s*-?\s*([@\w][\w@./:-]*)\s*:?\s*$|([A-Za-z_$][\w$-]*)\s*:/gm;

function stringsOf(value: unknown, into: string[]): void {
  if (typeof value === 'string') into.push(value);
  else if (Array.isArray(value)) for (const item of value) stringsOf(item, into);
  else if (value && typeof value === 'object')
    for (const [key, item] of Object.entries(value)) {
      into.push(key);
      stringsOf(item, into);
    }
}

/** Declared packages named in tool configuration (package.json keys and config files). */
export async function packagesUsedByConfig(root: string, manifest: Manifest, declared: Set<string>): Promise<string[]> {
  const strings: string[] = [];
  const raw = manifest as Record<string, unknown>;
  for (const key of manifestConfigKeys) if (raw[key] !== undefined) stringsOf(raw[key], strings);
  for (const file of configFiles) {
    let text: string;
    try {
      text = await readProjectText(root, file, fileCaps.source);
    } catch (error) {
      if (error instanceof ConfinedError) continue;
      throw error;
    }
    try {
      stringsOf(parseJsonFile<unknown>(text, file), strings);
    } catch {
      // JS, YAML or JSON with comments: take the quoted strings and bare YAML words.
      for (const match of text.matchAll(stringLiterals)) strings.push(match[2] ?? match[3] ?? match[4] ?? '');
    }
  }
  const used = new Set<string>();
  for (const value of strings) for (const name of candidateNames(value)) if (declared.has(name)) used.add(name);
  return [...used];
}
