// The internal tool catalogue, built from explicit per-domain lists. Names are unique; tools can be
// found by name, domain and tag. Tools added or removed at runtime (mounted servers, later) fire a
// change event that the MCP edge turns into list_changed notifications.
import { EventEmitter } from 'node:events';
import type { AnyTool, Domain } from './define-tool.js';
import { definitionProblems } from './define-tool.js';

export class ToolRegistry {
  private readonly tools = new Map<string, AnyTool>();
  private readonly events = new EventEmitter();
  private sorted: AnyTool[] | undefined;

  constructor(lists: readonly (readonly AnyTool[])[] = []) {
    for (const list of lists) for (const tool of list) this.insert(tool);
  }

  private insert(tool: AnyTool): void {
    if (this.tools.has(tool.name)) throw new Error(`duplicate tool name: ${tool.name}`);
    const problems = definitionProblems(tool);
    if (problems.length > 0) throw new Error(`tool ${tool.name}: ${problems.join('; ')}`);
    this.tools.set(tool.name, tool);
    this.sorted = undefined;
  }

  add(tool: AnyTool): void {
    this.insert(tool);
    this.events.emit('change');
  }

  remove(name: string): boolean {
    const removed = this.tools.delete(name);
    if (removed) {
      this.sorted = undefined;
      this.events.emit('change');
    }
    return removed;
  }

  onChange(listener: () => void): () => void {
    this.events.on('change', listener);
    return () => this.events.off('change', listener);
  }

  get(name: string): AnyTool | undefined {
    return this.tools.get(name);
  }

  /** All tools, sorted by name, so every listing is deterministic. */
  all(): readonly AnyTool[] {
    this.sorted ??= [...this.tools.values()].sort((a, b) => a.name.localeCompare(b.name));
    return this.sorted;
  }

  byDomain(domain: Domain): AnyTool[] {
    return this.all().filter((tool) => tool.domain === domain);
  }

  byTag(tag: string): AnyTool[] {
    return this.all().filter((tool) => tool.tags.includes(tag));
  }

  get size(): number {
    return this.tools.size;
  }
}
