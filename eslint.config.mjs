// ESLint for the TypeScript sources, tests and benchmark: typescript-eslint's recommended rules, with formatting left
// to Prettier.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['nodes/', 'node_modules/', 'docs/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      // `_name` marks a parameter a signature needs but the body does not (Node-RED's (value, opt) validators).
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }],
      // Node-RED's own convention in node constructors: `const node = this`.
      '@typescript-eslint/no-this-alias': ['error', { allowedNames: ['node'] }],
    },
  },
  {
    // Editor code runs in the browser, beside Node-RED's globals.
    files: ['src/nodes/*/editor.ts', 'src/editor/**/*.ts'],
    languageOptions: { globals: { ...globals.browser, RED: 'readonly', $: 'readonly' } },
  },
  {
    // Tests use mocha's globals, reach into values of loosely typed test helpers, and load the built nodes and
    // Node-RED's core nodes by path, as Node-RED does, with require.
    files: ['test/**/*.ts', 'test/**/*.js', 'bench/**/*.ts', 'testnet/**/*.ts'],
    languageOptions: { globals: { ...globals.mocha } },
    rules: { '@typescript-eslint/no-explicit-any': 'off', '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: ['**/*.js', '**/*.cjs'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
