// Layering rules (VS Code style): shared/ is the base and imports nothing of ours; native/ may use shared/;
// main/ may use native/ and shared/; the renderer talks to the engine only through the typed API in shared/.
import tseslint from 'typescript-eslint';

const layer = (files, forbidden, why) => ({
  files,
  rules: {
    'no-restricted-imports': ['error', {
      patterns: forbidden.map((dir) => ({ group: [`**/${dir}/*`, `**/${dir}`], message: why })),
    }],
  },
});

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', 'renderer/dist/**', 'out/**', 'bench/results/**', 'playwright-report/**', 'test-results/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  { files: ['**/*.cjs'], languageOptions: { sourceType: 'commonjs', globals: { require: 'readonly', module: 'writable', exports: 'writable' } }, rules: { '@typescript-eslint/no-require-imports': 'off' } },
  layer(['shared/**/*.ts', 'shared/**/*.tsx'], ['main', 'native', 'renderer'], 'shared/ is the base layer: it imports no other layer.'),
  layer(['native/**/*.ts'], ['main', 'renderer'], 'native/ (onnxruntime layer) may only import shared/.'),
  layer(['main/**/*.ts'], ['renderer'], 'main/ must not import the renderer.'),
  layer(['renderer/**/*.ts', 'renderer/**/*.tsx'], ['main', 'native'], 'The renderer talks to the engine only through the typed API in shared/.'),
);
