// A URL's bare username is a credential only where it can be a token (https://TOKEN@host); in a
// database URL it is a role name, and registering it blanked that word ("postgres") out of every
// result. Paths outside the roots are refused before the file system is asked.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SecretSet } from '../../tools/secrets.js';
import { redactUrl } from '../../tools/redact.js';
import { resolveInsideRoots } from '../../tools/roots.js';
import { tempDir } from '../helpers.js';

test("a database URL's bare username is not a secret; an https URL's bare username and any password are", () => {
  const set = new SecretSet();
  set.addFromEnv({ DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/test' });
  assert.equal(set.scrub('command: ["echo", "postgres"]'), 'command: ["echo", "postgres"]');
  set.addFromEnv({ DATABASE_URL: 'postgres://caelum:s3cr3t-password-value@127.0.0.1:5432/test' });
  assert.equal(set.scrub('password s3cr3t-password-value'), 'password ***');
  set.addFromEnv({ SOME_URL: 'https://ghp_abcdefghijklmnopqrstuvwxyz0123@github.example/x' });
  assert.equal(set.scrub('token ghp_abcdefghijklmnopqrstuvwxyz0123'), 'token ***');
  assert.equal(redactUrl('postgres://postgres@db:5432/test'), 'postgres://postgres@db:5432/test');
  assert.equal(redactUrl('https://tokenvalue@host/x'), 'https://***@host/x');
});

test('a path outside the roots is refused as outside, whether or not it exists', async (t) => {
  const root = await tempDir(t, 'caelum-roots-');
  for (const requested of ['/etc/passwd', '/etc/definitely-not-here', '../../etc/passwd', '../nope']) {
    await assert.rejects(resolveInsideRoots(requested, [root], 'checkpoint'), (error: Error) => {
      assert.match(error.message, /outside the allowed roots/, requested);
      return true;
    });
  }
  await assert.rejects(resolveInsideRoots('missing.bin', [root], 'checkpoint'), /does not exist/);
});
