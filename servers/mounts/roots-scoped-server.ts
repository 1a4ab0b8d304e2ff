// A mount with `rootsAsArgs`: one process per set of allowed roots, each started with those roots
// appended to its arguments (the filesystem server takes its directories that way). One service
// serves many front-ends, each with its own allowed roots; a call runs in the process for its
// session's roots, so a session never reads or writes inside another's project.
import type {
  MountStatus,
  RemoteCallOptions,
  RemoteCaller,
  RemoteResult,
  RemoteTool,
} from '../../tools/mounted/mounted-tool.js';
import { MountedServer, type MountedServerOptions } from './mounted-server.js';
import type { ResolvedMount } from './mount-config.js';

export class RootsScopedServer implements RemoteCaller {
  readonly server: string;
  private readonly instances = new Map<string, MountedServer>();

  constructor(
    readonly mount: ResolvedMount,
    private readonly options: MountedServerOptions,
    /** The suite's own roots: the instance that lists the tools and answers calls with no session roots. */
    private readonly defaultRoots: readonly string[],
  ) {
    this.server = mount.name;
  }

  private instance(roots: readonly string[] | undefined): MountedServer {
    const chosen = roots && roots.length > 0 ? roots : this.defaultRoots;
    const key = chosen.join('\0');
    let instance = this.instances.get(key);
    if (!instance) {
      instance = new MountedServer(
        { ...this.mount, config: { ...this.mount.config, args: [...this.mount.config.args, ...chosen] } },
        this.options,
      );
      this.instances.set(key, instance);
    }
    return instance;
  }

  call(tool: string, args: Record<string, unknown>, options: RemoteCallOptions): Promise<RemoteResult> {
    return this.instance(options.roots).call(tool, args, options);
  }

  listTools(signal?: AbortSignal): Promise<RemoteTool[]> {
    return this.instance(undefined).listTools(signal);
  }

  adoptTools(tools: RemoteTool[]): void {
    this.instance(undefined).adoptTools(tools);
  }

  noteEarlierFailure(message: string): void {
    this.instance(undefined).noteEarlierFailure(message);
  }

  async park(): Promise<void> {
    await this.instance(undefined).park();
  }

  /** The suite's instance, with the calls and crashes of every session's instance added in. */
  status(): MountStatus {
    const main = this.instance(undefined).status();
    const all = [...this.instances.values()].map((instance) => instance.status());
    return {
      ...main,
      ...(all.some((s) => s.state === 'ready') && main.state !== 'ready' ? { state: 'ready' as const } : {}),
      starts: all.reduce((sum, s) => sum + s.starts, 0),
      crashes: all.reduce((sum, s) => sum + s.crashes, 0),
      calls: all.reduce((sum, s) => sum + s.calls, 0),
      instances: this.instances.size,
    };
  }

  async restart(): Promise<MountStatus> {
    await Promise.all(
      [...this.instances.entries()].map(([key, instance]) =>
        key === this.defaultRoots.join('\0') ? instance.restart() : instance.park(),
      ),
    );
    if (!this.instances.has(this.defaultRoots.join('\0'))) await this.instance(undefined).restart();
    return this.status();
  }

  async close(): Promise<void> {
    await Promise.all([...this.instances.values()].map((instance) => instance.close()));
  }
}
