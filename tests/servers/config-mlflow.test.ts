// MLFLOW_TRACKING_URI is MLflow's variable: an http(s) server is adopted, anything else (databricks,
// file:, sqlite:) is left alone so Caelum still starts; CAELUM_MLFLOW_URI stays strict.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../../servers/config.js';
import { tempDir } from '../helpers.js';

test('MLFLOW_TRACKING_URI: http(s) is adopted, databricks/file/sqlite are ignored; CAELUM_MLFLOW_URI is strict', async (t) => {
  const dir = await tempDir(t);
  const env = { HOME: dir };
  for (const uri of ['databricks', 'databricks://profile', 'file:///x/mlruns', 'sqlite:///x.db', './mlruns']) {
    const loaded = loadConfig({}, { ...env, MLFLOW_TRACKING_URI: uri, MLFLOW_TRACKING_TOKEN: 'tok' }, dir);
    assert.equal(loaded.config.mlTraining.mlflow, undefined, uri);
  }
  const adopted = loadConfig(
    {},
    { ...env, MLFLOW_TRACKING_URI: 'https://mlflow.example:5000', MLFLOW_EXPERIMENT_NAME: 'exp' },
    dir,
  );
  assert.equal(adopted.config.mlTraining.mlflow?.trackingUri, 'https://mlflow.example:5000');
  assert.equal(adopted.config.mlTraining.mlflow?.experiment, 'exp');
  // Caelum's own variable wins over MLflow's, and a value Caelum cannot use is an error naming it.
  const own = loadConfig(
    {},
    { ...env, CAELUM_MLFLOW_URI: 'http://127.0.0.1:5000', MLFLOW_TRACKING_URI: 'databricks' },
    dir,
  );
  assert.equal(own.config.mlTraining.mlflow?.trackingUri, 'http://127.0.0.1:5000');
  assert.throws(
    () => loadConfig({}, { ...env, CAELUM_MLFLOW_URI: 'sqlite:///x.db' }, dir),
    /mlTraining\.mlflow\.trackingUri \(from .*CAELUM_MLFLOW_URI.*\): expected the http\(s\) URL of an MLflow tracking server/,
  );
});
