import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', 'data/', 'scratch/', 'test-artifacts/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['web-admin/public/**/*.js'],
    languageOptions: { globals: { window: 'readonly', document: 'readonly', WebSocket: 'readonly', fetch: 'readonly', location: 'readonly', URL: 'readonly', URLSearchParams: 'readonly', MutationObserver: 'readonly', localStorage: 'readonly', navigator: 'readonly', history: 'readonly', addEventListener: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', console: 'readonly', Image: 'readonly' } },
  },
  {
    files: ['bin/**/*.js', '.ci/**/*.js', 'scripts/**/*.js'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
  },
);
