// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', '.kafka/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-restricted-imports': 'off',
    },
  },
  {
    // The core never depends on the layers above it (DESIGN §2).
    files: ['src/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['rxjs', 'rxjs/*', 'kafkajs', 'kafkajs/*'], message: 'src/ must not depend on rxjs or kafkajs.' },
            { group: ['**/operators/**', '**/connectors/**', '**/cli/**'], message: 'src/ must not import operators/, connectors/ or cli/.' },
          ],
        },
      ],
    },
  },
);
