/** Jest runs the TypeScript sources directly through ts-jest; see README "Testing". */
// The AWS SDK warns once per process that Node 22 will be required from 2027; in every test worker that is noise.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

module.exports = {
  testEnvironment: 'node',
  transform: { '^.+\\.tsx?$': ['ts-jest', { tsconfig: 'tsconfig.json', diagnostics: { warnOnly: false } }] },
  // The Backstage plugins (npm workspaces) keep their tests beside their sources, as Backstage packages do.
  testMatch: ['<rootDir>/test/**/*.test.ts', '<rootDir>/plugins/*/src/**/*.test.ts?(x)'],
  moduleFileExtensions: ['ts', 'tsx', 'js', 'json'],
  moduleNameMapper: {
    // The ESM client (client/) imports its siblings as './x.js', as browsers need; here that is the './x.ts' source.
    '^(\\.{1,2}/.*)\\.js$': '$1',
    // The plugins import the core by its package name; tests run its TypeScript sources, not a build.
    '^express-direct-upload$': '<rootDir>/middleware/index.ts',
    '^express-direct-upload/client$': '<rootDir>/client/index.ts',
  },
  testTimeout: 30000,
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
};
