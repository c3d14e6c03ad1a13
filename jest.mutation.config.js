/** Jest for the mutation run (npm run test:mutation): test/unit only (handler tests on fakes, pure policy), never S3 or Ceph RGW. */
const { projects } = require('./jest.config');
const { compilerOptions } = require('./tsconfig.json');

/** The Node project of the main config (module mapping, sandbox exclusion), without the frontend project. */
const node = projects.find((project) => project.displayName === 'node');

module.exports = {
  ...node,
  rootDir: __dirname,
  // test/integration is left out: its fault, timeout and fuzz tests take seconds each, for every mutant they cover.
  testMatch: ['<rootDir>/test/unit/**/*.test.ts'],
  // Global setup starts Ceph RGW for the suites that need it; no unit test does.
  globalSetup: undefined,
  globalTeardown: undefined,
  // A mutant that leaves a request unanswered fails its test after 4 s (killed) instead of running into Stryker's
  // timeout, which restarts the test runner; every unit test answers in well under a second.
  testTimeout: 4000,
  // Transpile only: every mutant (and every restart after a timeout) would otherwise pay for a full type check,
  // which `npm test` already does once for the unmutated code.
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: { ...compilerOptions, isolatedModules: true }, diagnostics: false }] },
};
