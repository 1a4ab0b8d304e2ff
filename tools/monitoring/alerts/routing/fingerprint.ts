// Alertmanager's alert identity (prometheus/common model.LabelSet.Fingerprint): FNV-1a 64 over the
// sorted label names and values, each followed by the 0xff separator byte, as 16 hex digits.
import type { LabelSet } from '../alert-types.js';

const offset = 0xcbf29ce484222325n;
const prime = 0x100000001b3n;
const mask = 0xffffffffffffffffn;
const encoder = new TextEncoder();

function hashBytes(hash: bigint, bytes: Uint8Array): bigint {
  let h = hash;
  for (const byte of bytes) h = ((h ^ BigInt(byte)) * prime) & mask;
  return h;
}

const separator = new Uint8Array([0xff]);

export function fingerprint(labels: LabelSet): string {
  const names = Object.keys(labels).sort();
  let hash = offset;
  for (const name of names) {
    hash = hashBytes(hash, encoder.encode(name));
    hash = hashBytes(hash, separator);
    hash = hashBytes(hash, encoder.encode(labels[name]!));
    hash = hashBytes(hash, separator);
  }
  return hash.toString(16).padStart(16, '0');
}
