// Which process holds a file's lock, so "the graph is open elsewhere" can name it. Kuzu locks its
// database file with fcntl; on Linux /proc/locks lists such locks by inode and pid. Elsewhere, or
// when the lock is not listed, the answer is undefined and the message says "another process".
import { readFile, stat } from 'node:fs/promises';

export interface LockHolder {
  pid: number;
  /** The holder's command line, shortened; empty when it cannot be read. */
  command: string;
}

export async function lockHolder(file: string, self = process.pid): Promise<LockHolder | undefined> {
  try {
    const { ino } = await stat(file);
    const locks = await readFile('/proc/locks', 'utf8');
    for (const line of locks.split('\n')) {
      const fields = line.trim().split(/\s+/);
      // "1: POSIX  ADVISORY  WRITE 3787 fe:00:1474578 0 EOF"
      const pid = Number(fields[4]);
      const inode = Number(fields[5]?.split(':')[2]);
      if (inode !== ino || !Number.isInteger(pid) || pid === self) continue;
      const command = await readFile(`/proc/${pid}/cmdline`, 'utf8').then(
        (text) => text.split('\0').filter(Boolean).slice(0, 3).join(' ').slice(0, 80),
        () => '',
      );
      return { pid, command };
    }
  } catch {
    // no /proc (not Linux), or the file vanished: unknown holder
  }
  return undefined;
}

export function describeHolder(holder: LockHolder | undefined): string {
  if (!holder) return 'another process';
  return `process ${holder.pid}${holder.command ? ` (${holder.command})` : ''}`;
}
