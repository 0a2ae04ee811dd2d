import tseslint from 'typescript-eslint';

/** Layers point one way: a pure lib may not import node I/O modules or anything above it. */
const pureLibs = ['bytes', 'amf', 'codecs', 'mp4', 'flv', 'rtmp', 'mkv', 'ladder', 'packager'];
const ioModules = ['node:net', 'node:tls', 'node:fs', 'node:fs/promises', 'node:child_process', 'node:http', 'node:https', 'node:dgram', 'node:timers', 'node:timers/promises', 'ioredis', 'bullmq', '@aws-sdk/client-s3', 'pino'];

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', 'coverage/**', '.headwater/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    files: ['libs/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['@headwater/{ingest,cli}', '@headwater/testkit'], message: 'Libraries never import services or the testkit.' }] }],
    },
  },
  {
    files: pureLibs.map((l) => `libs/${l}/src/**/*.ts`),
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: ioModules.map((name) => ({ name, message: 'Pure protocol libraries do no I/O.' })),
        patterns: [
          { group: ['@headwater/{config,log,auth,archive,testkit,ingest,cli}'], message: 'Pure libs import only pure libs.' },
        ],
      }],
      'no-restricted-globals': ['error', 'setTimeout', 'setInterval', 'setImmediate'],
    },
  },
);
