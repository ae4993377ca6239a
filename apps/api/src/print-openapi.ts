import { openApiDocument } from './openapi-document.js';

// `node apps/api/dist/print-openapi.js`: the API's OpenAPI document on stdout, without any service
// (`pnpm client:types` generates the client SDK's types from it).
process.stdout.write(`${JSON.stringify(await openApiDocument(), null, 2)}\n`);
