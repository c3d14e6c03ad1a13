/** Jest for the mutation run (npm run test:mutation): the fast suite only (test/unit, test/integration), never Ceph RGW. */
const base = require('./jest.config');
const { compilerOptions } = require('./tsconfig.json');

// Global setup would start Ceph for the RGW block of test/integration/multipart.test.ts; here that block is skipped
// with this reason instead, even where REQUIRE_RGW=1 is set for the full suite.
process.env.RGW_UNAVAILABLE_REASON = 'the mutation run uses the fast suite only (jest.mutation.config.js)';
delete process.env.REQUIRE_RGW;

module.exports = {
  ...base,
  testMatch: ['<rootDir>/test/unit/**/*.test.ts', '<rootDir>/test/integration/**/*.test.ts'],
  globalSetup: undefined,
  globalTeardown: undefined,
  // Transpile only: every mutant (and every restart after a timeout) would otherwise pay for a full type check,
  // which `npm test` already does once for the unmutated code.
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: { ...compilerOptions, isolatedModules: true }, diagnostics: false }] },
};
