// The process table from /proc (pid, parent, process group), for tests that check what is left running.
import { readdir, readFile } from 'node:fs/promises';

export interface Proc {
  pid: number;
  ppid: number;
  pgid: number;
}

/** Every live (not zombie) process; one that exits while the table is read is left out. */
export async function processTable(): Promise<Proc[]> {
  const out: Proc[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = await readFile(`/proc/${entry}/stat`, 'utf8');
      // pid (comm) state ppid pgrp ...: comm may hold spaces and parentheses, so split after the last ')'.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (fields[0] === 'Z') continue;
      out.push({ pid: Number(entry), ppid: Number(fields[1]), pgid: Number(fields[2]) });
    } catch {
      // It exited while we looked.
    }
  }
  return out;
}

/** `roots` and every process that descends from one of them. */
export function withDescendants(table: readonly Proc[], roots: Iterable<number>): Set<number> {
  const found = new Set(roots);
  for (let grew = true; grew;) {
    grew = false;
    for (const p of table)
      if (found.has(p.ppid) && !found.has(p.pid)) {
        found.add(p.pid);
        grew = true;
      }
  }
  return found;
}
