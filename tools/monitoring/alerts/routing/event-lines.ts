// The alert engine's event log as JSON Lines, for the data dir: one event per line, appended. A
// crash can leave the last line cut short; reading skips lines that do not parse or have the wrong
// shape and counts them, so a restart replays everything that was fully written.
import type { EngineEvent } from './alert-engine.js';

const types = new Set(['fire', 'resolve', 'silence_add', 'silence_expire', 'tick']);

export function eventToLine(event: EngineEvent): string {
  return JSON.stringify(event) + '\n';
}

function isEvent(value: unknown): value is EngineEvent {
  if (typeof value !== 'object' || value === null) return false;
  const event = value as Record<string, unknown>;
  if (!types.has(event.type as string) || typeof event.at !== 'number') return false;
  if (event.type === 'fire') return typeof event.alert === 'object' && event.alert !== null;
  if (event.type === 'resolve') return typeof event.fingerprint === 'string';
  if (event.type === 'silence_add') return typeof event.silence === 'object' && event.silence !== null;
  if (event.type === 'silence_expire') return typeof event.id === 'string';
  return true;
}

export function eventsFromLines(text: string): { events: EngineEvent[]; skipped: number } {
  const events: EngineEvent[] = [];
  let skipped = 0;
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    try {
      const value: unknown = JSON.parse(line);
      if (isEvent(value)) events.push(value);
      else skipped++;
    } catch {
      skipped++;
    }
  }
  return { events, skipped };
}
