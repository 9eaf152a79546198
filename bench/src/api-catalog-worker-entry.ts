/** src/api-catalog-worker-process.ts as bench/build.ts builds it (every src/*worker-process.ts), run on plain node. */
export const apiCatalogWorkerEntry = "dist/api-catalog-worker-process.js";
