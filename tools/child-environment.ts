// The environment of programs Caelum starts on a project's behalf (its tests, npm): an allow-list
// of what such programs genuinely need, never Caelum's environment minus a deny-list. A test that
// prints its environment, or a package script, sees where programs live, the locale and a temp
// directory, and nothing else: no API keys, no DATABASE_URL, no PG* or CAELUM_/ANTHROPIC_ settings.
import { secretNamePattern } from './secrets.js';

/**
 * Passed through when set. PATH finds node, npm, python and the runners; HOME holds the user's
 * Python site-packages and tool caches (a test run keeps the real one; npm gets a temp one); the
 * locale, TZ and TERM keep output and dates as the user sees them; TMPDIR is where runners write;
 * CI and NODE_ENV change how test suites behave on purpose; the Python variables select the
 * interpreter environment pytest runs in; SYSTEMROOT and friends are what Node needs on Windows;
 * the CA variables and the proxy settings let npm reach a registry from behind a corporate proxy,
 * but a proxy URL with credentials in it is left out. NODE_OPTIONS is left out: a flag meant for
 * Caelum's own process has no business in a project's.
 */
const allowedNames = new Set([
  'PATH',
  'HOME',
  'USER',
  'LOGNAME',
  'SHELL',
  'LANG',
  'LANGUAGE',
  'TZ',
  'TERM',
  'COLORTERM',
  'NO_COLOR',
  'FORCE_COLOR',
  'TMPDIR',
  'TMP',
  'TEMP',
  'CI',
  'NODE_ENV',
  'XDG_CACHE_HOME',
  'XDG_CONFIG_HOME',
  'XDG_DATA_HOME',
  'XDG_RUNTIME_DIR',
  'VIRTUAL_ENV',
  'CONDA_PREFIX',
  'PYTHONPATH',
  'PYTHONHOME',
  'PYTHONIOENCODING',
  'PYTHONUTF8',
  'PYTHONDONTWRITEBYTECODE',
  'SYSTEMROOT',
  'SYSTEMDRIVE',
  'COMSPEC',
  'PATHEXT',
  'WINDIR',
  'USERPROFILE',
  'APPDATA',
  'LOCALAPPDATA',
  'NODE_EXTRA_CA_CERTS',
  'SSL_CERT_FILE',
  'SSL_CERT_DIR',
  'HTTP_PROXY',
  'HTTPS_PROXY',
  'NO_PROXY',
]);
const proxyNames = new Set(['HTTP_PROXY', 'HTTPS_PROXY']);
const allowedPrefixes = ['LC_'];
/** Never passed, whatever the lists above say (defence in depth for future edits). */
const forbidden = /^(CAELUM_|ANTHROPIC_|PG|DATABASE_URL$|NODE_TEST_CONTEXT$|NPM_CONFIG_)/i;

export function childEnvironment(env: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined) continue;
    const upper = name.toUpperCase();
    if (!allowedNames.has(upper) && !allowedPrefixes.some((prefix) => upper.startsWith(prefix))) continue;
    if (forbidden.test(name) || secretNamePattern.test(name)) continue;
    if (proxyNames.has(upper) && /\/\/[^/@]*@/.test(value)) continue;
    out[name] = value;
  }
  return out;
}

/**
 * For training jobs only (never project test runs): the host's accelerator selection and the library
 * path the CUDA/ROCm runtimes load from, so a job sees the GPUs Caelum was started with. A placement
 * still sets CUDA_VISIBLE_DEVICES over this.
 */
const trainingNames = new Set([
  'CUDA_VISIBLE_DEVICES',
  'CUDA_DEVICE_ORDER',
  'CUDA_HOME',
  'NVIDIA_VISIBLE_DEVICES',
  'NVIDIA_DRIVER_CAPABILITIES',
  'HIP_VISIBLE_DEVICES',
  'ROCR_VISIBLE_DEVICES',
  'LD_LIBRARY_PATH',
]);

export function trainingJobEnvironment(env: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined || !trainingNames.has(name)) continue;
    if (forbidden.test(name) || secretNamePattern.test(name)) continue;
    out[name] = value;
  }
  return out;
}
