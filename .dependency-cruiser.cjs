// The import rules of DESIGN.md and DECISIONS 6, checked by `npm run check`.
// Inner modules form a chain: core ← config ← store ← mail ← web ← accounts ← login ← edges.
// Edges (portals, authn, federation, mailbox) never import each other; only src/main.ts knows
// every module.
const chain = ['core', 'config', 'store', 'mail', 'web', 'accounts', 'login'];
const edges = ['portals', 'authn', 'federation', 'mailbox'];

const chainRules = chain.map((layer, i) => {
  const allowed = chain.slice(0, i + 1);
  return {
    name: `${layer}-imports-only-inner-layers`,
    comment: `src/${layer} may import only ${allowed.join(', ')} (DECISIONS 6 chain).`,
    severity: 'error',
    from: { path: `^src/${layer}/` },
    to: { path: '^src/', pathNot: `^src/(${allowed.join('|')})/` },
  };
});

const edgeRules = edges.map((edge) => ({
  name: `${edge}-does-not-import-another-edge`,
  comment: `src/${edge} reaches other edges only through login (DESIGN.md).`,
  severity: 'error',
  from: { path: `^src/${edge}/` },
  to: { path: `^src/(${edges.filter((e) => e !== edge).join('|')})/` },
}));

module.exports = {
  forbidden: [
    ...chainRules,
    ...edgeRules,
    {
      name: 'only-main-is-the-composition-root',
      comment: 'Nothing imports src/main.ts except scripts and tests.',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^src/main\\.ts$' },
    },
    {
      name: 'demo-portal-is-a-separate-client',
      comment:
        'src/demo is a portal like any other: only main.ts starts it, and it uses no hub internals beyond key generation and HTML escaping.',
      severity: 'error',
      from: { path: '^src/demo/' },
      to: { path: '^src/', pathNot: '^src/(demo/|config/keys\\.ts$|web/html\\.ts$|web/form-body\\.ts$|core/)' },
    },
    {
      name: 'nothing-imports-the-demo',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/(main\\.ts|demo/)' },
      to: { path: '^src/demo/' },
    },
    {
      name: 'oidc-provider-only-in-portals-oidc',
      comment: 'oidc-provider is plain JS with its own conventions; only src/portals/oidc talks to it (STYLE).',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/portals/oidc/' },
      to: { path: 'node_modules/oidc-provider/' },
    },
    {
      name: 'no-circular',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
    {
      name: 'no-dev-dependencies-in-src',
      comment: 'The running hub must not need devDependencies.',
      severity: 'error',
      from: { path: '^src/' },
      to: { dependencyTypes: ['npm-dev'] },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default', 'types'] },
  },
};
