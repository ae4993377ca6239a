import { join } from 'node:path';
import openapiTS, { astToString } from 'openapi-typescript';
import { repoRoot } from './processes.js';

/** Where the client SDK's generated types live (checked in; `pnpm client:types` rewrites them). */
export const CLIENT_TYPES_PATH = join(repoRoot, 'packages/client/src/openapi-types.ts');

const HEADER = `// Generated from the API's OpenAPI document by \`pnpm client:types\` (openapi-typescript); do not edit.
// A test compares it with the document a running API serves, so it cannot drift from the server.
`;

/** The SDK's types module for an OpenAPI document, exactly as `pnpm client:types` writes it. */
export async function renderClientTypes(document: Record<string, unknown>): Promise<string> {
  const ast = await openapiTS(document as unknown as Parameters<typeof openapiTS>[0], { exportType: false, alphabetize: true });
  return `${HEADER}${astToString(ast)}`;
}
