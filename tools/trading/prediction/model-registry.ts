// The model registry: <dataDir>/trading/models/registry.json (written atomically) and the model files
// beside it, each named by its sha256. Models go by name; each holds its registered checkpoints and
// aliases (`production`, `candidate`) that point at a checkpoint by sha256. Versions live here, in
// metadata and aliases, never in a name.
import { createHash } from 'node:crypto';
import path from 'node:path';
import { z } from 'zod';
import { readJson, writeFileAtomic } from '../../../knowledge/snapshot/atomic-file.js';
import { InputError } from '../../errors.js';
import { dataContractHash, inputContractSchema, outputMappingSchema } from './model-contract.js';

/** The largest checkpoint read (the seed system's was 977 MB). */
export const maxModelBytes = 1024 * 1024 * 1024;

export const aliasNames = ['production', 'candidate'] as const;
export type AliasName = (typeof aliasNames)[number];

const checkpointSchema = z.object({
  file: z.string(),
  sha256: z.string(),
  trainedAt: z.string(),
  registeredAt: z.string(),
  contract: inputContractSchema,
  output: outputMappingSchema,
  dataContractHash: z.string(),
  bytes: z.number(),
  /** Where the file was registered from, for the record. */
  source: z.string(),
});
export type Checkpoint = z.output<typeof checkpointSchema>;

const registrySchema = z.object({
  models: z.record(
    z.string(),
    z.object({
      checkpoints: z.array(checkpointSchema),
      aliases: z.record(z.string(), z.string()),
    }),
  ),
});
export type RegistryFile = z.output<typeof registrySchema>;

/** A checkpoint a reference resolved to, with the name and alias it went through. */
export interface ResolvedModel {
  name: string;
  alias?: AliasName | undefined;
  checkpoint: Checkpoint;
}

export const modelNamePattern = /^[a-z0-9][a-z0-9-]{0,62}$/;
const versionPattern = /(^|-)v?\d+(\.\d+)*(-|$)/;

export function checkModelName(name: string, field = 'name'): void {
  if (!modelNamePattern.test(name))
    throw new InputError(field, `"${name}" is not a model name; use lowercase letters, digits and dashes`);
  if ((aliasNames as readonly string[]).includes(name))
    throw new InputError(field, `"${name}" is an alias name; name the model for what it does (e.g. ohlc-mlp)`);
  if (versionPattern.test(name))
    throw new InputError(
      field,
      `"${name}" carries a version; name the model for what it does and let aliases (production, candidate) pick the checkpoint`,
    );
}

export class ModelRegistry {
  readonly directory: string;
  readonly file: string;
  /** Registry writes run one at a time, so two registrations cannot lose each other's entry. */
  private writes: Promise<unknown> = Promise.resolve();

  constructor(dataDir: string) {
    this.directory = path.join(dataDir, 'trading', 'models');
    this.file = path.join(this.directory, 'registry.json');
  }

  /** The registry with `models` as a null-prototype map: a name such as `constructor` finds no inherited entry. */
  async read(): Promise<RegistryFile> {
    const raw = await readJson<unknown>(this.file);
    const models: RegistryFile['models'] = Object.create(null) as RegistryFile['models'];
    if (raw !== undefined) Object.assign(models, registrySchema.parse(raw).models);
    return { models };
  }

  /** Copies the bytes in as <sha256>.onnx and records the checkpoint; registering a file twice is a no-op. */
  register(entry: Parameters<ModelRegistry['registerNow']>[0]): ReturnType<ModelRegistry['registerNow']> {
    return this.serialised(() => this.registerNow(entry));
  }

  setAlias(name: string, alias: AliasName, checkpoint: string): ReturnType<ModelRegistry['setAliasNow']> {
    return this.serialised(() => this.setAliasNow(name, alias, checkpoint));
  }

  private serialised<T>(work: () => Promise<T>): Promise<T> {
    const run = this.writes.then(work, work);
    this.writes = run.catch(() => undefined);
    return run;
  }

  private async registerNow(entry: {
    name: string;
    bytes: Uint8Array;
    source: string;
    trainedAt: string;
    registeredAt: string;
    contract: Checkpoint['contract'];
    output: Checkpoint['output'];
    alias?: AliasName | undefined;
  }): Promise<{ checkpoint: Checkpoint; created: boolean }> {
    checkModelName(entry.name);
    const sha256 = createHash('sha256').update(entry.bytes).digest('hex');
    const file = `${sha256}.onnx`;
    const target = path.join(this.directory, file);
    // Always written: a file of that name that was altered since would otherwise be kept.
    await writeFileAtomic(target, entry.bytes);
    const registry = await this.read();
    const model = modelEntry(registry, entry.name) ?? (registry.models[entry.name] = { checkpoints: [], aliases: {} });
    let checkpoint = model.checkpoints.find((c) => c.sha256 === sha256);
    if (checkpoint && checkpoint.dataContractHash !== dataContractHash(entry.contract))
      throw new InputError(
        'contract',
        `checkpoint ${sha256.slice(0, 12)} of ${entry.name} is already registered with data contract ${checkpoint.dataContractHash.slice(0, 12)} (window ${checkpoint.contract.window} × ${checkpoint.contract.features.join(', ')}); one file has one contract: register it with that contract, or under another name if it really was trained on another`,
      );
    const created = !checkpoint;
    if (!checkpoint) {
      checkpoint = {
        file,
        sha256,
        trainedAt: entry.trainedAt,
        registeredAt: entry.registeredAt,
        contract: entry.contract,
        output: entry.output,
        dataContractHash: dataContractHash(entry.contract),
        bytes: entry.bytes.byteLength,
        source: entry.source,
      };
      model.checkpoints.push(checkpoint);
    }
    if (entry.alias) model.aliases[entry.alias] = sha256;
    await writeFileAtomic(this.file, JSON.stringify(registry, null, 2));
    return { checkpoint, created };
  }

  private async setAliasNow(
    name: string,
    alias: AliasName,
    checkpoint: string,
  ): Promise<{ previous?: string; sha256: string }> {
    const registry = await this.read();
    const model = modelEntry(registry, name);
    if (!model) throw new InputError('name', `no model "${name}"; ${known(registry)}`);
    // `checkpoint` may name another alias: promoting the candidate is { alias: production, checkpoint: candidate }.
    const aliased = (aliasNames as readonly string[]).includes(checkpoint) ? model.aliases[checkpoint] : checkpoint;
    if (!aliased) throw new InputError('checkpoint', `model "${name}" has no alias "${checkpoint}" to copy`);
    const target = findCheckpoint(model.checkpoints, aliased, 'checkpoint');
    const previous = model.aliases[alias];
    model.aliases[alias] = target.sha256;
    await writeFileAtomic(this.file, JSON.stringify(registry, null, 2));
    return { ...(previous ? { previous } : {}), sha256: target.sha256 };
  }

  /**
   * Resolves `production`/`candidate` (the one model holding that alias), `name` (its production
   * checkpoint, else its newest), `name@alias`, or `name@<sha256 prefix>`.
   */
  async resolve(reference = 'production', field = 'model'): Promise<ResolvedModel> {
    const registry = await this.read();
    const [head, tail] = reference.split('@', 2) as [string, string | undefined];
    if ((aliasNames as readonly string[]).includes(head) && tail === undefined) {
      const alias = head as AliasName;
      const holders = Object.entries(registry.models).filter(([, m]) => m.aliases[alias]);
      if (holders.length === 0)
        throw new InputError(
          field,
          `no model has the alias "${alias}"; ${known(registry)}; register one with trading_register_model (alias: "${alias}")`,
        );
      if (holders.length > 1)
        throw new InputError(
          field,
          `several models have the alias "${alias}" (${holders.map(([n]) => n).join(', ')}); pass name@${alias}`,
        );
      const [name, model] = holders[0]!;
      return { name, alias, checkpoint: findCheckpoint(model.checkpoints, model.aliases[alias]!, field) };
    }
    if (!modelNamePattern.test(head))
      throw new InputError(
        field,
        `"${head}" is not a model name (lowercase letters, digits and dashes); pass production, candidate, name, name@alias or name@<sha256 prefix>; ${known(registry)}`,
      );
    const model = modelEntry(registry, head);
    if (!model) throw new InputError(field, `no model "${head}"; ${known(registry)}`);
    if (tail === undefined) {
      const production = model.aliases.production;
      if (production)
        return { name: head, alias: 'production', checkpoint: findCheckpoint(model.checkpoints, production, field) };
      const newest = model.checkpoints.at(-1);
      if (!newest)
        throw new InputError(
          field,
          `model "${head}" has no checkpoint registered; register one with trading_register_model or pick another model`,
        );
      return { name: head, checkpoint: newest };
    }
    if ((aliasNames as readonly string[]).includes(tail)) {
      const sha = model.aliases[tail];
      if (!sha)
        throw new InputError(field, `model "${head}" has no alias "${tail}"; set it with trading_set_model_alias`);
      return { name: head, alias: tail as AliasName, checkpoint: findCheckpoint(model.checkpoints, sha, field) };
    }
    return { name: head, checkpoint: findCheckpoint(model.checkpoints, tail, field) };
  }
}

/** The model registered under `name`, own entries only (never one inherited from Object.prototype). */
export function modelEntry(registry: RegistryFile, name: string): RegistryFile['models'][string] | undefined {
  return Object.hasOwn(registry.models, name) ? registry.models[name] : undefined;
}

function findCheckpoint(checkpoints: readonly Checkpoint[], reference: string, field: string): Checkpoint {
  const matches = checkpoints.filter((c) => c.sha256.startsWith(reference.toLowerCase()) || c.file === reference);
  if (reference.length >= 8 && matches.length === 1) return matches[0]!;
  const listed = checkpoints.map((c) => `${c.sha256.slice(0, 12)} (trained ${c.trainedAt})`).join(', ');
  throw new InputError(
    field,
    matches.length > 1
      ? `"${reference}" matches several checkpoints; give more of the sha256 (${listed})`
      : `no checkpoint "${reference}"; pass at least 8 leading hex digits of a sha256: ${listed || 'none registered'}`,
  );
}

function known(registry: RegistryFile): string {
  const names = Object.keys(registry.models);
  return names.length === 0 ? 'the registry is empty' : `registered: ${names.join(', ')}`;
}
