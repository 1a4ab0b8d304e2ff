// A small typed walk over a `yaml` 2.x document, so that every semantic error can name the line and
// column of the node it is about (toJS() would lose them).
import { isAlias, isMap, isScalar, isSeq, type Document, type LineCounter, type Node } from 'yaml';
import { InputError } from '../../../errors.js';

export class YamlReader {
  private visited = 0;

  constructor(
    private readonly doc: Document,
    private readonly lines: LineCounter,
    readonly field: string,
    private readonly maxNodes: number,
  ) {}

  /** An InputError at the node: `line L, column C: <problem>; <fix>`. */
  fail(node: Node | null | undefined, problem: string): InputError {
    const offset = node?.range?.[0] ?? 0;
    const { line, col } = this.lines.linePos(offset);
    return new InputError(this.field, `line ${line}, column ${col}: ${problem}`);
  }

  failAt(line: number, column: number, problem: string): InputError {
    return new InputError(this.field, `line ${line}, column ${column}: ${problem}`);
  }

  resolve(node: unknown): Node | null {
    let current = node;
    for (let hops = 0; isAlias(current) && hops < 100; hops++) current = current.resolve(this.doc) ?? null;
    if (++this.visited > this.maxNodes)
      throw this.fail(current as Node, `more than ${this.maxNodes} YAML nodes (maxNodes budget); shrink the config`);
    return (current as Node | null) ?? null;
  }

  /** The entries of a mapping, rejecting keys outside `allowed` (Alertmanager parses strictly). */
  map(
    node: Node | null,
    what: string,
    allowed: readonly string[] | null,
  ): Map<string, { key: Node; value: Node | null }> {
    const resolved = this.resolve(node);
    if (!isMap(resolved)) throw this.fail(resolved ?? node, `${what} must be a mapping (key: value lines)`);
    const entries = new Map<string, { key: Node; value: Node | null }>();
    for (const pair of resolved.items) {
      const key = pair.key as Node;
      const name = isScalar(key) ? String(key.value) : '';
      if (allowed && !allowed.includes(name))
        throw this.fail(key, `unknown field "${name}" in ${what}; valid fields: ${allowed.join(', ')}`);
      entries.set(name, { key, value: this.resolve(pair.value) });
    }
    return entries;
  }

  seq(node: Node | null, what: string): Node[] {
    if (node === null) return [];
    if (!isSeq(node)) throw this.fail(node, `${what} must be a list`);
    return node.items.map((item) => this.resolve(item)).filter((item): item is Node => item !== null);
  }

  string(node: Node | null, what: string): string {
    if (!isScalar(node) || node.value === null || typeof node.value === 'object')
      throw this.fail(node, `${what} must be a string`);
    return String(node.value);
  }

  optionalString(node: Node | null | undefined, what: string): string | undefined {
    if (node === undefined || node === null || (isScalar(node) && node.value === null)) return undefined;
    return this.string(node, what);
  }

  boolean(node: Node | null | undefined, what: string, fallback: boolean): boolean {
    if (node === undefined || node === null || (isScalar(node) && node.value === null)) return fallback;
    if (!isScalar(node) || typeof node.value !== 'boolean') throw this.fail(node, `${what} must be true or false`);
    return node.value;
  }

  strings(node: Node | null | undefined, what: string): { value: string; node: Node }[] {
    if (node === undefined || node === null || (isScalar(node) && node.value === null)) return [];
    return this.seq(node, what).map((item) => ({ value: this.string(item, `each entry of ${what}`), node: item }));
  }
}
