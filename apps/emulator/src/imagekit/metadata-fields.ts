import { randomBytes } from 'node:crypto';
import { ImageKitError } from './answers.js';
import type { MetadataValue } from './file-store.js';

/** The schema types of ImageKit's custom metadata fields (Custom Metadata Fields API). */
export const FIELD_TYPES = ['Text', 'Textarea', 'Number', 'Date', 'Boolean', 'SingleSelect', 'MultiSelect'] as const;
export type FieldType = (typeof FIELD_TYPES)[number];

/** A custom metadata field as the API answers it. */
export interface MetadataField {
  readonly id: string;
  readonly name: string;
  readonly label: string;
  readonly schema: { readonly type: FieldType; readonly selectOptions?: readonly (string | number | boolean)[] };
}

const isScalar = (value: unknown): value is string | number | boolean => typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';

/** Whether `value` is of the field's type; options and ranges beyond the type are not checked. */
function fits(field: MetadataField, value: unknown): boolean {
  const options = field.schema.selectOptions;
  switch (field.schema.type) {
    case 'Text':
    case 'Textarea':
      return typeof value === 'string';
    case 'Number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'Boolean':
      return typeof value === 'boolean';
    case 'Date':
      return typeof value === 'string' && !Number.isNaN(Date.parse(value));
    case 'SingleSelect':
      return isScalar(value) && (options === undefined || options.includes(value));
    case 'MultiSelect':
      return Array.isArray(value) && value.every((item) => isScalar(item) && (options === undefined || options.includes(item)));
  }
}

/**
 * The account's custom metadata fields. ImageKit keeps custom metadata only under fields created
 * beforehand (upload API reference, `customMetadata`: "Create the custom metadata fields before
 * setting these values"), and refuses a value of another type than its field's.
 */
export class MetadataFields {
  private readonly fields = new Map<string, MetadataField>();

  list(): MetadataField[] {
    return [...this.fields.values()];
  }

  /** `POST /v1/customMetadataFields`: name and label required and unique, a known schema type. */
  create(body: unknown): MetadataField {
    const input = (body ?? {}) as { name?: unknown; label?: unknown; schema?: { type?: unknown; selectOptions?: unknown } };
    const errors: Record<string, string> = {};
    if (typeof input.name !== 'string' || input.name === '') errors['name'] = 'is required';
    if (typeof input.label !== 'string' || input.label === '') errors['label'] = 'is required';
    const type = FIELD_TYPES.find((candidate) => candidate === input.schema?.type);
    if (type === undefined) errors['schema.type'] = `should be one of ${FIELD_TYPES.join(', ')}`;
    const options = input.schema?.selectOptions;
    const selectOptions = Array.isArray(options) && options.every(isScalar) ? options : undefined;
    if ((type === 'SingleSelect' || type === 'MultiSelect') && selectOptions === undefined) errors['schema.selectOptions'] = 'is required for this type';
    if (Object.keys(errors).length > 0 || typeof input.name !== 'string' || typeof input.label !== 'string' || type === undefined) {
      throw new ImageKitError(400, 'Invalid field object', errors);
    }
    if (this.fields.has(input.name)) throw new ImageKitError(400, `A custom metadata field with name ${input.name} already exists.`);
    const field: MetadataField = { id: randomBytes(12).toString('hex'), name: input.name, label: input.label, schema: { type, ...(selectOptions ? { selectOptions } : {}) } };
    this.fields.set(field.name, field);
    return field;
  }

  /**
   * The upload's `customMetadata` (stringified JSON) checked against the fields.
   * @throws ImageKitError 400 for malformed JSON, an undefined field or a value of another type.
   */
  parse(text: string | undefined): Record<string, MetadataValue> {
    if (text === undefined || text.trim() === '') return {};
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      throw new ImageKitError(400, 'Invalid customMetadata. It should be a valid stringified JSON object.');
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new ImageKitError(400, 'Invalid customMetadata. It should be a valid stringified JSON object.');
    const metadata: Record<string, MetadataValue> = {};
    for (const [name, fieldValue] of Object.entries(value as Record<string, unknown>)) {
      const field = this.fields.get(name);
      if (field === undefined) throw new ImageKitError(400, `Invalid customMetadata. Custom metadata field ${name} does not exist; create it before setting its value.`);
      if (!fits(field, fieldValue)) throw new ImageKitError(400, `Invalid customMetadata. The value of custom metadata field ${name} should be of type ${field.schema.type}.`);
      metadata[name] = fieldValue as MetadataValue;
    }
    return metadata;
  }

  clear(): void {
    this.fields.clear();
  }
}
