// A chainable stand-in for zod inside the renderer bundle. shared/api.ts builds its parameter schemas at
// import time, but only the engine validates with them; the renderer just needs that module to load.
// Bundling real zod (with its locales) would more than double app.js for code that never runs.
const chain = new Proxy(function zodStub() {}, {
  get: (_target, prop) => (prop === 'then' ? undefined : chain), // never look like a Promise
  apply: () => chain,
});
export const z = chain;
export default chain;
