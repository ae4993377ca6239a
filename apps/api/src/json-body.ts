import { Ajv } from 'ajv';
import { addInputFormats } from './storable-input.js';

/**
 * Validates JSON bodies (and their routes' headers) exactly as sent. Fastify's default Ajv coerces
 * types (`coerceTypes: 'array'`): right for query strings, which are all text, wrong for a JSON body,
 * where it would quietly turn `"tags": 5` into "5" or `"events": "upload.failed"` into a list. Use as
 * a route's `validatorCompiler`.
 */
export const jsonBodyAjv = new Ajv({ coerceTypes: false, removeAdditional: false, useDefaults: false, strict: false });
addInputFormats(jsonBodyAjv);
