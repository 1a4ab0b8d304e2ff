// Alertmanager's alert fingerprint (prometheus/common model.LabelSet.Fingerprint): FNV-1a 64 over
// the label names in sorted order, each name and value followed by the 0xff separator byte, as 16
// hex digits. A test checks it against the fingerprints the real Alertmanager reports.
import type { LabelSet } from '../alert-types.js';

const offset = 0xcbf29ce484222325n;
const prime = 0x100000001b3n;
const mask = 0xffffffffffffffffn;

export function alertFingerprint(labels: LabelSet): string {
  let hash = offset;
  const add = (byte: number) => {
    hash ^= BigInt(byte);
    hash = (hash * prime) & mask;
  };
  for (const name of Object.keys(labels).sort()) {
    for (const byte of Buffer.from(name, 'utf8')) add(byte);
    add(0xff);
    for (const byte of Buffer.from(labels[name]!, 'utf8')) add(byte);
    add(0xff);
  }
  return hash.toString(16).padStart(16, '0');
}
