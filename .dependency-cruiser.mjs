// Package boundaries and import cycles, checked by `pnpm lint` (dependency-cruiser). It follows every
// import to the file it resolves to, type-only imports included, so a relative path into another
// package is caught like its package name.

const PACKAGES = ['config', 'core', 'db', 'intake', 'logger', 'metrics', 'provider-cloudflare-images', 'provider-cloudinary', 'provider-imagekit', 'providers', 'queue', 'remote-fetch', 'runtime', 'temp-storage', 'temp-storage-s3'];

/**
 * Who may import whom: the "depends on" column of docs/architecture.md's package table, exactly
 * (change both together). Apps wire packages; packages never import an app; core imports nothing of
 * ours; every other package imports core and only what is named here.
 */
const MAY_IMPORT = {
  'packages/core': [],
  'packages/config': ['packages/remote-fetch'],
  'packages/logger': [],
  'packages/remote-fetch': [],
  'packages/runtime': ['packages/core'],
  'packages/db': ['packages/core', 'packages/config', 'packages/logger'],
  'packages/queue': ['packages/core', 'packages/logger', 'packages/runtime'],
  'packages/temp-storage': ['packages/core', 'packages/temp-storage-s3'],
  'packages/temp-storage-s3': ['packages/core'],
  'packages/provider-cloudinary': ['packages/core'],
  'packages/provider-imagekit': ['packages/core'],
  'packages/provider-cloudflare-images': ['packages/core'],
  'packages/providers': ['packages/core', 'packages/config', 'packages/provider-cloudinary', 'packages/provider-imagekit', 'packages/provider-cloudflare-images'],
  'packages/intake': ['packages/core', 'packages/remote-fetch'],
  'packages/metrics': ['packages/core'],
  'packages/client': [],
  'apps/api': PACKAGES.map((name) => `packages/${name}`),
  'apps/worker': PACKAGES.map((name) => `packages/${name}`),
  'apps/cli': [...PACKAGES.map((name) => `packages/${name}`), 'packages/client'],
  'apps/emulator': [],
};

/**
 * Tests wire things together as apps do (an adapter's test may start the emulator or use another
 * adapter and test/support): the table binds the code they test, not them.
 */
const TESTS = '(\\.test\\.ts$|/test-support/)';

const escape = (path) => path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const WORKSPACE = ['test', ...Object.keys(MAY_IMPORT)];
/**
 * A folder and its package name, as an import reaches them: resolved to a file in the folder, or left
 * as the bare name when the importer's package.json does not list it (pnpm then cannot resolve it).
 */
const reach = (folders) => `^(${folders.map((folder) => `${escape(folder)}/|@hoist/${escape(folder.split('/')[1] ?? folder)}$`).join('|')})`;

/** @type {import('dependency-cruiser').IConfiguration} */
export default {
  forbidden: [
    ...Object.entries(MAY_IMPORT).map(([folder, allowed]) => ({
      name: `boundary:${folder}`,
      comment: `${folder} may import ${allowed.length ? allowed.join(', ') : 'nothing of ours'} (docs/architecture.md, "Packages and apps")`,
      severity: 'error',
      from: { path: `^${escape(folder)}/src/`, pathNot: TESTS },
      to: { path: [reach(WORKSPACE), '^@hoist/'], pathNot: reach([folder, ...allowed]) },
    })),
    {
      name: 'boundary:scripts',
      comment: 'scripts/ (pnpm start, drills, benchmarks) may import test/support, config, core, db, logger, queue (its queue names) and the emulator (docs/architecture.md)',
      severity: 'error',
      from: { path: '^scripts/', pathNot: TESTS },
      to: { path: [reach(WORKSPACE), '^@hoist/'], pathNot: reach(['test', 'packages/config', 'packages/core', 'packages/db', 'packages/logger', 'packages/queue', 'apps/emulator']) },
    },
    {
      name: 'not-to-unresolvable',
      comment: 'An import that resolves to no file (a typo, or a package missing from package.json)',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
    {
      name: 'no-circular',
      comment: 'Files import each other in a circle (type-only imports count: they tie the two files together just the same)',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    // Our own files, and imports of our packages that did not resolve (see reach()).
    includeOnly: '^((apps|packages|test|scripts)/|@hoist/)',
    exclude: { path: '(/dist/|/node_modules/)' },
    // Type-only imports are dependencies too (the cycle this rule was added for was one).
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.test.json' },
    // Workspace packages resolve to their sources, as they do for tsc and vitest.
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['@hoist/source', 'import', 'node', 'default'],
      extensions: ['.ts', '.js', '.json'],
    },
  },
};
