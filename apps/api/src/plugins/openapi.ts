import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

/** The multipart body of POST /v1/uploads, for the document only (multipart is parsed as a stream, not validated by a schema). */
const uploadRequestBody = {
  required: true,
  content: {
    'multipart/form-data': {
      schema: {
        type: 'object',
        properties: {
          file: { type: 'string', format: 'binary', description: 'The file; its type is sniffed from its bytes. Send either file or files.' },
          files: { type: 'array', maxItems: 20, items: { type: 'string', format: 'binary' }, description: 'Several files; the answer has an entry per file.' },
          publicId: { type: 'string', pattern: '^[A-Za-z0-9_\\-./]{1,255}$' },
          folder: { type: 'string', pattern: '^[A-Za-z0-9_\\-./]{1,255}$' },
          tags: { type: 'string', description: 'Comma-separated, at most 50, each at most 100 characters.' },
          metadata: { type: 'string', description: 'A JSON object of string, number or boolean values, at most 1024 bytes.' },
          resourceType: { type: 'string', enum: ['image', 'video', 'raw', 'auto'] },
          eager: { type: 'string', description: 'Comma-separated preset names: thumbnail, preview, square.' },
          dedupe: { type: 'string', enum: ['true', 'false'] },
          provider: { type: 'string', description: 'cloudinary, imagekit or cloudflare; default: the tenant\'s default, else the deployment\'s.' },
        },
      },
    },
  },
};

/**
 * The OpenAPI 3.1 document at /openapi.json and browsable docs at /docs, both public. The document
 * is generated from the routes' own JSON schemas, so it cannot drift from what they validate.
 */
export const openApiPlugin = fp(
  async (app: FastifyInstance) => {
    await app.register(swagger, {
      openapi: {
        openapi: '3.1.0',
        info: { title: 'Hoist upload API', version: '1', description: 'Queue-backed asynchronous uploads. Errors are RFC 9457 problem+json.' },
        components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'An API key from `pnpm hoist keys create`.' } } },
      },
      transform: ({ schema, url, route }) => {
        const documented = { schema: schema as Record<string, unknown>, url };
        if (url.startsWith('/v1/')) documented.schema = { ...documented.schema, security: [{ bearer: [] }] };
        if (url === '/v1/uploads' && route.method === 'POST') {
          documented.schema = { ...documented.schema, consumes: ['multipart/form-data'] };
        }
        return documented;
      },
      transformObject: (documentObject) => {
        const spec = 'openapiObject' in documentObject ? documentObject.openapiObject : documentObject.swaggerObject;
        const post = (spec.paths as Record<string, Record<string, Record<string, unknown>>> | undefined)?.['/v1/uploads']?.post;
        // The multipart body beside the JSON one (a URL upload) that the route's own schema describes.
        if (post) {
          const described = post.requestBody as { content?: Record<string, unknown> } | undefined;
          post.requestBody = { ...uploadRequestBody, content: { ...described?.content, ...uploadRequestBody.content } };
        }
        return spec;
      },
    });
    app.get('/openapi.json', { schema: { hide: true } }, () => app.swagger());
    await app.register(swaggerUi, { routePrefix: '/docs' });
  },
  { name: 'hoist-openapi' },
);
