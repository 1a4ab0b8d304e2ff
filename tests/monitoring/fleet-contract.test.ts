// The fleet contract as data: its hash, stable server ids, and refusals at every boundary that name
// the field, the valid values and the contract's version and hash; the rules are checked against it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InputError } from '../../tools/errors.js';
import {
  canonicalJson,
  checkProfile,
  checkState,
  contractHash,
  fleetContract,
  profileSchema,
  serverId,
  stateSchema,
} from '../../tools/monitoring/fleet/contract.js';
import { defaultFleetRules, rulesWithOverrides, validateRules } from '../../tools/monitoring/fleet/rules.js';
import { classifyOptionsFromConfig, fleetConfigSchema } from '../../tools/monitoring/fleet/fleet-config.js';

const short = contractHash.slice(0, 12);
/** `printf web-api-01 | sha256sum` */
const SEED_ID = '48255b07d0bc9ccdf233c738d2597c93d2f4f7df4a83c5b6567e04cff58c2727';

test('the contract holds the seed’s 7 profiles and 8 states, hashed over canonical JSON', () => {
  assert.equal(fleetContract.version, '1.0.0');
  assert.deepEqual([...fleetContract.profiles].sort(), [
    'conductor_mgmt',
    'data_ingest',
    'database',
    'generic',
    'ml_compute',
    'risk_analytics',
    'web_api',
  ]);
  assert.equal(fleetContract.states.length, 8);
  assert.match(contractHash, /^[0-9a-f]{64}$/);
  // Key order does not change the canonical form; content does.
  assert.equal(canonicalJson({ b: 1, a: [1, { d: 2, c: 3 }] }), '{"a":[1,{"c":3,"d":2}],"b":1}');
  const reordered = {
    states: fleetContract.states,
    version: '1.0.0',
    modelFeatures: fleetContract.modelFeatures,
    profiles: fleetContract.profiles,
  };
  assert.equal(canonicalJson(reordered), canonicalJson(fleetContract));
  assert.notEqual(canonicalJson({ ...fleetContract, version: '1.0.1' }), canonicalJson(fleetContract));
});

test('server ids are the SHA-256 of the name, as the seed encoded them', () => {
  assert.equal(serverId('web-api-01'), SEED_ID);
  assert.notEqual(serverId('web-api-02'), SEED_ID);
});

test('an unknown profile or state is refused with the field, the valid values and the contract hash', () => {
  assert.equal(checkProfile('database', 'servers.0.profile'), 'database');
  assert.equal(checkState('morning_spike', 'state'), 'morning_spike');
  assert.throws(
    () => checkProfile('gpu_box', 'servers.3.profile'),
    (error: Error) =>
      error instanceof InputError &&
      error.field === 'servers.3.profile' &&
      error.message.includes('"gpu_box" is not a profile of the fleet contract v1.0.0') &&
      error.message.includes(short) &&
      error.message.includes('ml_compute, database, web_api, conductor_mgmt, data_ingest, risk_analytics, generic'),
  );
  assert.throws(
    () => checkState('degraded', 'state'),
    new RegExp(`"degraded" is not a state of the fleet contract v1\\.0\\.0 \\(hash ${short}\\)`),
  );
  const profile = profileSchema.safeParse('gpu_box');
  assert.equal(profile.success, false);
  assert.match(profile.error!.issues[0]!.message, new RegExp(short));
  assert.equal(stateSchema.safeParse('degraded').success, false);
  assert.equal(stateSchema.safeParse('recovery').success, true);
});

test('rules are validated against the contract, and so are overrides', () => {
  assert.throws(
    () => rulesWithOverrides({ gpu_box: { criticalCpu: 0.9 } }),
    (error: Error) =>
      error instanceof InputError &&
      error.field === 'monitoring.fleet.thresholds.gpu_box' &&
      error.message.includes(short),
  );
  assert.throws(
    () => rulesWithOverrides({ database: { criticalDisk: 1.5 } }),
    /monitoring\.fleet\.thresholds\.database\.criticalDisk/,
  );
  const overridden = rulesWithOverrides({ database: { criticalDisk: 0.8 } });
  assert.equal(overridden.profiles.database.criticalDisk, 0.8);
  assert.equal(overridden.profiles.database.heavyCpu, defaultFleetRules.profiles.database.heavyCpu);
  assert.equal(defaultFleetRules.profiles.database.criticalDisk, 0.85, 'the declared rules are not mutated');
  const badState = { ...defaultFleetRules, precedence: [...defaultFleetRules.precedence.slice(0, 7), 'degraded'] };
  assert.throws(() => validateRules(badState), new RegExp(`rules\\.precedence\\.7.*${short}`));
  const { generic: _generic, ...sixProfiles } = defaultFleetRules.profiles;
  assert.throws(() => validateRules({ ...defaultFleetRules, profiles: sixProfiles }), /no rules for generic/);
  assert.throws(
    () => validateRules({ ...defaultFleetRules, contractHash: 'cd'.repeat(32), contractVersion: '0.9.0' }),
    /declared for contract v0\.9\.0 \(hash cdcdcdcdcdcd\) but this is contract v1\.0\.0/,
  );
});

test('the fleet config is checked against the contract at load: overrides and maintenance profiles', () => {
  const config = fleetConfigSchema.parse({
    timezoneOffsetMinutes: 60,
    thresholds: { database: { criticalDisk: 0.8 } },
    maintenance: [{ name: 'db patching', profiles: ['database'], daily: { from: '02:00', to: '03:00' } }],
    model: { path: '/models/fleet.onnx' },
  });
  assert.equal(config.forecast.horizonHours, 6);
  assert.equal(config.model!.profileEmbedding, 'profile_embedding');
  const options = classifyOptionsFromConfig(config);
  assert.equal(options.rules!.profiles.database.criticalDisk, 0.8);
  assert.equal(options.timezoneOffsetMinutes, 60);
  assert.throws(
    () => classifyOptionsFromConfig(fleetConfigSchema.parse({ thresholds: { gpu_box: { heavyCpu: 0.5 } } })),
    new RegExp(
      `monitoring\\.fleet\\.thresholds\\.gpu_box: "gpu_box" is not a profile of the fleet contract v1\\.0\\.0 \\(hash ${short}\\)`,
    ),
  );
  assert.throws(
    () =>
      classifyOptionsFromConfig(
        fleetConfigSchema.parse({
          maintenance: [{ name: 'x', profiles: ['gpu'], daily: { from: '01:00', to: '02:00' } }],
        }),
      ),
    /monitoring\.fleet\.maintenance\.0\.profiles\.0/,
  );
  assert.throws(
    () =>
      classifyOptionsFromConfig(
        fleetConfigSchema.parse({ maintenance: [{ name: 'x', startsAt: '2026-12-03T00:00:00Z' }] }),
      ),
    /monitoring\.fleet\.maintenance\.0: give startsAt and endsAt/,
  );
});
