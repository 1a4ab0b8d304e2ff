// The supervisor of one local training job. The service starts it detached (it leads its own process
// group) with its stdout and stderr on the job's stdout.log and stderr.log; it runs the job's argv
// (never through a shell) in the same group, copies the job's output to those files and to
// output.log (both streams interleaved by line, stderr lines marked), writes heartbeat.json every
// heartbeat, forwards SIGTERM to the group, and on the child's exit writes exit.json. Both JSON files
// are written to a temporary name and renamed, so a reader never sees half a file. It imports only
// Node built-ins, so it runs the same from the sources, from dist/ and from the bundle.
//
// Usage: node job-wrapper.mjs <jobDir>; <jobDir>/launch.json holds {command, cwd, env, heartbeatMs}
// and is removed once read (it carries the job's environment).
import { spawn } from 'node:child_process';
import { closeSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import path from 'node:path';

const jobDir = process.argv[2];
if (!jobDir) {
  process.stderr.write('job-wrapper: usage: job-wrapper.mjs <jobDir>\n');
  process.exit(2);
}

function writeAtomically(name, value) {
  const target = path.join(jobDir, name);
  const temporary = `${target}.${process.pid}.tmp`;
  writeFileSync(temporary, JSON.stringify(value) + '\n');
  renameSync(temporary, target);
}

const launchFile = path.join(jobDir, 'launch.json');
const launch = JSON.parse(readFileSync(launchFile, 'utf8'));
rmSync(launchFile, { force: true });

const combined = openSync(path.join(jobDir, 'output.log'), 'a');
const startedAt = new Date().toISOString();
let childPid = null;
let finished = false;
const beat = () => writeAtomically('heartbeat.json', { at: new Date().toISOString(), pid: process.pid, childPid });

/** Copies one stream of the child to the wrapper's own (a log file) and, by whole lines, to output.log. */
function relay(stream, own, marker) {
  let pending = '';
  stream.setEncoding('utf8');
  stream.on('data', (text) => {
    own.write(text);
    const lines = (pending + text).split('\n');
    pending = lines.pop() ?? '';
    if (lines.length > 0 && !finished) writeSync(combined, lines.map((line) => marker + line + '\n').join(''));
    if (pending.length > 65536 && !finished) {
      writeSync(combined, marker + pending + '\n');
      pending = '';
    }
  });
  return () => {
    if (pending.length > 0 && !finished) writeSync(combined, marker + pending + '\n');
    pending = '';
  };
}

let child;
try {
  child = spawn(launch.command[0], launch.command.slice(1), {
    cwd: launch.cwd,
    env: launch.env,
    stdio: ['ignore', 'pipe', 'pipe'],
    shell: false,
  });
} catch (error) {
  writeSync(combined, `[stderr] job-wrapper: cannot start ${launch.command[0]}: ${error.message}\n`);
  writeAtomically('exit.json', { exitCode: 127, signal: null, startedAt, endedAt: new Date().toISOString() });
  process.exit(127);
}

childPid = child.pid ?? null;
beat();
const timer = setInterval(beat, launch.heartbeatMs);
const flushOut = relay(child.stdout, process.stdout, '');
const flushErr = relay(child.stderr, process.stderr, '[stderr] ');

let forwarding = false;
process.on('SIGTERM', () => {
  // The signal to the group reaches this process too; the flag keeps that from looping.
  if (forwarding) return;
  forwarding = true;
  try {
    process.kill(-process.pid, 'SIGTERM');
  } catch {
    child.kill('SIGTERM');
  }
});
process.on('SIGINT', () => child.kill('SIGINT'));
process.on('SIGHUP', () => undefined);

let spawnError = null;
child.on('error', (error) => {
  spawnError = error;
  if (child.pid === undefined) setImmediate(() => finish(null, null));
});

function finish(code, signal) {
  if (finished) return;
  clearInterval(timer);
  flushOut();
  flushErr();
  finished = true;
  const failedToStart = spawnError !== null && code === null && signal === null;
  if (failedToStart)
    writeSync(
      combined,
      `[stderr] job-wrapper: cannot start ${launch.command[0]}: ${spawnError.code ?? spawnError.message}\n`,
    );
  closeSync(combined);
  const exitCode = failedToStart ? 127 : code;
  writeAtomically('exit.json', { exitCode, signal, startedAt, endedAt: new Date().toISOString() });
  // The job is over: whatever it left behind in its group (a worker that outlived the main process)
  // gets SIGTERM, so that an ended job no longer writes to its output directory.
  forwarding = true;
  try {
    process.kill(-process.pid, 'SIGTERM');
  } catch {
    // Nothing left.
  }
  // What ignores SIGTERM gets SIGKILL after the grace period; the wrapper exits only when its group
  // is empty (the service reports the job ended once the wrapper is gone), or after the SIGKILL wait.
  const graceEnds = Date.now() + (launch.stopGraceMs ?? 2000);
  const killEnds = graceEnds + 2000;
  const sweep = () => {
    const left = groupMembers();
    if (left.length === 0 || Date.now() > killEnds) process.exit(exitCode ?? 1);
    if (Date.now() > graceEnds)
      for (const pid of left) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // Gone already.
        }
      }
    setTimeout(sweep, 50);
  };
  sweep();
}

/** Live processes of this wrapper's group other than itself, from /proc. */
function groupMembers() {
  const members = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (fields[0] !== 'Z' && Number(fields[2]) === process.pid) members.push(Number(entry));
    } catch {
      // Exited while listing.
    }
  }
  return members;
}
// 'close' comes once the output pipes are drained; a grandchild that keeps them open must not delay
// the exit record, so 'exit' finishes on its own shortly after.
child.on('close', finish);
child.on('exit', (code, signal) => setTimeout(() => finish(code, signal), 300));
