// ESLint for Caelum's own code: eslint's and typescript-eslint's recommended rules, without type
// information (a type-aware run takes minutes on two cores; `npm run typecheck` already runs tsc).
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      'node_modules/',
      'dist/',
      'bench/results/',
      'bench/blind-apps/',
      'tests/**/fixtures/',
      '.caelum/',
      '.scratch/',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // It flags the default given before a try block that may replace it (`let x = fallback;
      // try { x = read() } catch {}`), a pattern used on purpose throughout for optional files.
      'no-useless-assignment': 'off',
      // A leading underscore marks a value dropped on purpose, most often a key left out by rest
      // destructuring (`const { secret: _secret, ...safe } = x`).
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_' },
      ],
    },
  },
  {
    // The dashboard's browser code (bundled by scripts/bundle.mjs) runs in the page, not in Node.
    files: ['dashboard/**/*.ts'],
    languageOptions: { globals: { ...globals.browser } },
  },
  {
    // Tests and loopback peers read wire JSON whose shape is the thing under test; typing every
    // probe into it would add casts, not safety.
    files: ['tests/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
);
