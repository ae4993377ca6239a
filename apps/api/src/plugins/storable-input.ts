import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { assertStorableMembers } from '../storable-input.js';

/**
 * Refuses, before any route sees it, text Postgres cannot store anywhere in the query string, the
 * path parameters or a parsed body (JSON, form): a 400 naming the field (see storable-input.ts).
 * Multipart bodies are read by their route, whose field reader applies the same rule.
 */
export const storableInputPlugin = fp(
  (app: FastifyInstance) => {
    app.addHook('preValidation', (request, _reply, done) => {
      try {
        assertStorableMembers(request.params);
        assertStorableMembers(request.query);
        assertStorableMembers(request.body);
      } catch (error) {
        done(error as Error);
        return;
      }
      done();
    });
  },
  { name: 'hoist-storable-input', dependencies: ['hoist-problems'] },
);
