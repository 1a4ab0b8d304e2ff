// A short soak of the knowledge tools (the benchmark runs 10,000 calls): the bundled server over
// stdio, 1,000 mixed calls at 32-way concurrency, kill -9 at a random point, then the data dir
// reopens consistent with no acknowledged write lost and the server serves again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cliPath, tempDir } from '../helpers.js';
import { currentSchemaVersion, runSoak } from './soak-driver.js';

test(
  'soak: 1,000 mixed knowledge calls at 32-way concurrency, kill -9 mid-way, nothing acknowledged is lost',
  { timeout: 180_000 },
  async (t) => {
    const report = await runSoak({ cliPath, workDir: await tempDir(t), calls: 1_000, concurrency: 32 });
    t.diagnostic(JSON.stringify({ ...report, lostWrites: report.lostWrites.length }));
    assert.deepEqual(report.errors, []);
    assert.equal(report.crashes, 0);
    assert.ok(report.completed >= report.killedAfter);
    assert.ok(report.acknowledgedWrites > 0);
    assert.deepEqual(report.lostWrites, []);
    assert.equal(report.missingVectors, 0);
    assert.equal(report.reopened.schemaVersion, currentSchemaVersion);
    assert.ok(report.reopened.entities >= report.acknowledgedWrites);
    assert.deepEqual(report.reopened.verify, { ok: true, problems: [] });
    assert.equal(report.servesAfterRestart, true);
  },
);
