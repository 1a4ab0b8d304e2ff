// `caelum serve` over stdio: a thin front-end that relays a client's MCP lines to the data dir's
// service and back, byte for byte. It keeps only what it needs to survive the service dying: the
// client's initialize (replayed to a new service), its log level and subscriptions, and the ids of
// requests in flight (answered with an error if their service dies, so the client never hangs).
import type net from 'node:net';
import { connectOrStart, type Connected, type StartSpec } from './service-client.js';

export interface FrontEndOptions {
  dataDir: string;
  allowedRoots: string[];
  testRunsAllowed: string[];
  start: StartSpec;
  /** Told of a service of another build that keeps serving, and of restarts. */
  warn(message: string): void;
  input?: NodeJS.ReadableStream;
  output?: NodeJS.WritableStream;
}

type Id = string | number;

const replayPrefix = 'caelum-replay-';

/** The id of a response line the service sent, read without parsing a large result. */
function responseId(line: string): Id | undefined {
  // The SDK writes results as {"result":...,"jsonrpc":"2.0","id":N}: the id is at the end.
  if (line.startsWith('{"result"')) {
    const match = /"jsonrpc":"2\.0","id":(\d+|"(?:[^"\\]|\\.)*")}$/.exec(line);
    if (match) return match[1]!.startsWith('"') ? (JSON.parse(match[1]!) as string) : Number(match[1]);
  }
  try {
    const message = JSON.parse(line) as { id?: Id; method?: string };
    return message.method === undefined ? message.id : undefined;
  } catch {
    return undefined;
  }
}

/** Runs until the client closes stdin; resolves then. */
export function runFrontEnd(options: FrontEndOptions, first: Connected): Promise<void> {
  const input = options.input ?? process.stdin;
  const output = options.output ?? process.stdout;
  const inFlight = new Set<Id>();
  const swallowed = new Set<string>();
  const subscriptions = new Map<string, string>();
  let initialize: string | undefined;
  let initialized: string | undefined;
  let logLevel: string | undefined;
  let socket: net.Socket | undefined;
  let queue: string[] = [];
  let inputEnded = false;
  let replays = 0;
  let reconnecting = false;
  let finish!: () => void;
  const done = new Promise<void>((resolve) => (finish = resolve));

  const toClient = (line: string) => {
    if (!output.write(`${line}\n`)) {
      socket?.pause();
      output.once('drain', () => socket?.resume());
    }
  };

  const toService = (line: string) => {
    if (!socket) {
      queue.push(line);
      // Lazily: a service stopped on purpose stays stopped until this client asks for something.
      if (!reconnecting) void reconnect();
      return;
    }
    if (!socket.write(`${line}\n`)) {
      input.pause();
      socket.once('drain', () => input.resume());
    }
  };

  const fromClient = (line: string) => {
    if (line.trim() === '') return;
    let message: { id?: Id; method?: string; params?: { uri?: string } } | undefined;
    try {
      message = JSON.parse(line) as typeof message;
    } catch {
      message = undefined;
    }
    if (message?.method !== undefined && message.id !== undefined) {
      inFlight.add(message.id);
      if (message.method === 'initialize') initialize = line;
      else if (message.method === 'logging/setLevel') logLevel = line;
      else if (message.method === 'resources/subscribe' && message.params?.uri)
        subscriptions.set(message.params.uri, line);
      else if (message.method === 'resources/unsubscribe' && message.params?.uri)
        subscriptions.delete(message.params.uri);
    } else if (message?.method === 'notifications/initialized') initialized = line;
    toService(line);
  };

  const fromService = (line: string) => {
    const id = responseId(line);
    if (id !== undefined) {
      if (typeof id === 'string' && swallowed.delete(id)) return;
      inFlight.delete(id);
    }
    toClient(line);
  };

  /** Re-sends what made the old service's session what it was, hiding the answers. */
  const replay = (line: string) => {
    const message = JSON.parse(line) as { id: Id };
    const id = `${replayPrefix}${++replays}`;
    swallowed.add(id);
    return JSON.stringify({ ...message, id });
  };

  const splitter = (onLine: (line: string) => void) => {
    let partial = '';
    return (chunk: Buffer | string) => {
      const text = partial + chunk.toString();
      let start = 0;
      for (let newline = text.indexOf('\n'); newline !== -1; newline = text.indexOf('\n', start)) {
        onLine(text.slice(start, newline).replace(/\r$/, ''));
        start = newline + 1;
      }
      partial = text.slice(start);
    };
  };

  const attach = (connected: Connected) => {
    socket = connected.socket;
    const onServiceData = splitter(fromService);
    socket.on('data', onServiceData);
    if (connected.rest.length) onServiceData(connected.rest);
    socket.resume();
    socket.once('close', () => lost(connected.socket));
    socket.on('error', () => undefined);
    // Reading from the client may have paused for a socket that died before it drained.
    input.resume();
    const pending = queue;
    queue = [];
    for (const line of pending) toService(line);
  };

  const lost = (dead: net.Socket) => {
    if (socket !== dead) return;
    socket = undefined;
    input.resume();
    if (inputEnded) return finish();
    // Requests the dead service held will never be answered by it.
    for (const id of inFlight) {
      toClient(
        JSON.stringify({
          jsonrpc: '2.0',
          id,
          error: {
            code: -32603,
            message: 'the Caelum service stopped during this call and is being restarted; retry the call',
          },
        }),
      );
    }
    inFlight.clear();
  };

  const reconnect = async () => {
    reconnecting = true;
    try {
      const connected = await connectOrStart(
        options.dataDir,
        { allowedRoots: options.allowedRoots, testRunsAllowed: options.testRunsAllowed },
        options.start,
      );
      options.warn(`reconnected to the Caelum service (pid ${connected.welcome.pid})`);
      const replayed = [
        ...(initialize ? [replay(initialize)] : []),
        ...(initialized ? [initialized] : []),
        ...(logLevel ? [replay(logLevel)] : []),
        ...[...subscriptions.values()].map(replay),
      ];
      queue = [...replayed, ...queue];
      reconnecting = false;
      attach(connected);
      return;
    } catch (error) {
      options.warn(`cannot restart the Caelum service: ${(error as Error).message}`);
      for (const line of queue) {
        let message: { id?: Id; method?: string } | undefined;
        try {
          message = JSON.parse(line) as typeof message;
        } catch {
          continue;
        }
        if (message?.id === undefined || message.method === undefined) continue;
        inFlight.delete(message.id);
        toClient(
          JSON.stringify({
            jsonrpc: '2.0',
            id: message.id,
            error: {
              code: -32603,
              message: `the Caelum service is down and could not be restarted: ${(error as Error).message}`,
            },
          }),
        );
      }
      queue = [];
      // The next request tries again.
      reconnecting = false;
      return;
    }
  };

  if (first.welcome.mismatch) options.warn(first.welcome.mismatch);
  attach(first);
  input.on('data', splitter(fromClient));
  input.once('end', () => {
    inputEnded = true;
    if (socket) socket.end();
    else finish();
  });
  return done;
}
