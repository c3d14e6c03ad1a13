/** Jest runs the TypeScript sources directly through ts-jest; see README "Testing". */
// The AWS SDK warns once per process that Node 22 will be required from 2027; in every test worker that is noise.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const typescript = ['ts-jest', { tsconfig: 'tsconfig.json', diagnostics: { warnOnly: false } }];

/** What every project resolves the same way. */
const shared = {
  // A mutation run's sandbox copy of the project (npm run test:mutation) is not part of this one.
  modulePathIgnorePatterns: ['<rootDir>/.stryker-tmp/'],
  moduleFileExtensions: ['ts', 'tsx', 'js', 'json'],
  moduleNameMapper: {
    // The ESM client (client/) imports its siblings as './x.js', as browsers need; here that is the './x.ts' source.
    '^(\\.{1,2}/.*)\\.js$': '$1',
    // The plugins import the core by its package name; tests run its TypeScript sources, not a build.
    '^express-direct-upload$': '<rootDir>/middleware/index.ts',
    '^express-direct-upload/client$': '<rootDir>/client/index.ts',
  },
};

/**
 * Backstage's frontend packages (and a few of their dependencies) ship ES modules only, which jest's CommonJS
 * runtime cannot load: these, and only these, are compiled to CommonJS (TypeScript's transpiler, no type check).
 */
const ESM_ONLY_PACKAGES = ['@backstage', 'react-use/esm', '@react-hookz/web', '@azure', '@typespec'];
const esmToCommonJs = ['ts-jest', { tsconfig: { allowJs: true, module: 'commonjs', target: 'ES2022', isolatedModules: true, jsx: 'react-jsx' } }];

module.exports = {
  testTimeout: 30000,
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  projects: [
    {
      displayName: 'node',
      testEnvironment: 'node',
      transform: { '^.+\\.tsx?$': typescript },
      // The Backstage plugins (npm workspaces) keep their tests beside their sources, as Backstage packages do.
      testMatch: ['<rootDir>/test/**/*.test.ts', '<rootDir>/plugins/*/src/**/*.test.ts'],
      ...shared,
    },
    {
      // The frontend plugin's page in a Backstage test app: jsdom, with the fetch browsers have (see the environment).
      displayName: 'frontend',
      testEnvironment: '<rootDir>/plugins/direct-upload/src/__testUtils__/browser-environment.ts',
      transform: { '^.+\\.tsx?$': typescript, '^.+\\.m?js$': esmToCommonJs },
      transformIgnorePatterns: [`/node_modules/(?!(${ESM_ONLY_PACKAGES.join('|')})/)`],
      testMatch: ['<rootDir>/plugins/*/src/**/*.test.tsx'],
      ...shared,
      moduleNameMapper: {
        ...shared.moduleNameMapper,
        // Images and stylesheets that Backstage's components import, as a bundler would hand them over: a URL.
        '\\.(svg|png|jpe?g|gif|webp|css)$': '<rootDir>/plugins/direct-upload/src/__testUtils__/static-asset.ts',
      },
    },
  ],
};
