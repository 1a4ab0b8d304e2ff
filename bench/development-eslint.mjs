// Child process for bench/development.ts: the peer, ESLint with eslint-plugin-security's
// recommended config, on the same tree. Prints JSON.
import { ESLint } from 'eslint';
import security from 'eslint-plugin-security';

const [root] = process.argv.slice(2);
const started = performance.now();
const eslint = new ESLint({
  cwd: root,
  overrideConfigFile: true,
  overrideConfig: [
    { files: ['**/*.js', '**/*.cjs', '**/*.mjs'] },
    security.configs.recommended,
    { languageOptions: { ecmaVersion: 'latest', sourceType: 'commonjs' } },
  ],
});
const results = await eslint.lintFiles(['.']);
const findings = results.reduce((sum, r) => sum + r.messages.filter((m) => m.ruleId).length, 0);
const fatal = results.reduce((sum, r) => sum + r.messages.filter((m) => m.fatal).length, 0);
process.stdout.write(
  JSON.stringify({
    run: { ms: performance.now() - started, files: results.length, findings, parseErrors: fatal },
    maxRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
  }),
);
