// A SourceClient that answers from the sample's recordings instead of the network: the provider
// parsers build their usual request, and the recording whose path and series parameters match is
// returned as the answer, stamped with the time it was recorded. A request nothing was recorded for
// fails like a network error would; a replay never opens a connection.
import type { Provider } from '../catalogue/statistics.js';
import { SourceClient, SourceHttpError, type SourceResponse } from '../source-client.js';
import type { LoadedRecordings, RecordedAnswer, Recording } from './recordings.js';

export class ReplayClient extends SourceClient {
  /** Every answer served, for the build's record of what the sample used. */
  readonly served: { provider: Provider; url: string; file: string }[] = [];

  constructor(private readonly recordings: LoadedRecordings) {
    super({ maxAttempts: 1 });
  }

  override async get(
    provider: Provider,
    url: string,
    options: { headers?: Record<string, string>; signal?: AbortSignal; label: string },
  ): Promise<SourceResponse> {
    options.signal?.throwIfAborted();
    const found = this.find(provider, new URL(url));
    if (!found)
      throw new SourceHttpError(
        `${options.label}: not among the sample's recorded answers (a sample build never goes to the network)`,
        1,
      );
    const [recording, answer] = found;
    this.served.push({ provider, url: options.label, file: answer.file });
    return {
      status: 200,
      contentType: answer.contentType,
      body: this.recordings.bodies.get(answer)!,
      attempts: 1,
      fetchedAt: recording.recordedAt,
    };
  }

  private find(provider: Provider, url: URL): [Recording, RecordedAnswer] | undefined {
    for (const recording of this.recordings.recordings) {
      if (recording.provider !== provider) continue;
      for (const answer of recording.answers) {
        if (url.pathname !== answer.path) continue;
        if (Object.entries(answer.query).every(([key, value]) => url.searchParams.get(key) === value))
          return [recording, answer];
      }
    }
    return undefined;
  }
}
