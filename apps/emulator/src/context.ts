import type { Socket } from 'node:net';
import type { FastifyRequest } from 'fastify';
import type { ChunkSessions } from './chunks.js';
import { HttpError } from './errors.js';
import type { FaultInjector } from './faults.js';
import type { ResourceType } from './media.js';
import type { SignatureAlgorithm } from './signature.js';
import type { AssetStore } from './store.js';
import type { Stats } from './stats.js';

/** A connection held open by a timeout fault, to be dropped at its deadline or on close. */
export interface HungConnection {
  readonly socket: Socket;
  readonly timer: NodeJS.Timeout;
}

/** State and settings shared by the emulator's routes. */
export interface EmulatorContext {
  readonly cloudName: string;
  readonly apiKey: string;
  readonly apiSecret: string;
  readonly signatureAlgorithm: SignatureAlgorithm;
  readonly unsignedPresets: ReadonlySet<string>;
  readonly publicUrl: string | undefined;
  /** Base of `secure_url` when an https address is configured. */
  readonly secureUrl: string | undefined;
  readonly fetchAllow: ReadonlySet<string>;
  readonly store: AssetStore;
  readonly chunks: ChunkSessions;
  readonly faults: FaultInjector;
  readonly stats: Stats;
  readonly hung: Set<HungConnection>;
}

/** Base of returned asset URLs: the configured public URL, else where this request was sent. */
export function baseUrlOf(context: EmulatorContext, request: FastifyRequest): string {
  return context.publicUrl ?? `${request.protocol}://${request.host}`;
}

/** Rejects requests for any cloud but ours with Cloudinary's 401 for an unknown cloud name. */
export function requireCloud(context: EmulatorContext, cloud: string): void {
  if (cloud !== context.cloudName) throw new HttpError(401, `Invalid cloud_name ${cloud}`);
}

/** The stored resource type named in a URL; `auto` only where the endpoint allows it. */
export function resourceTypeParam(value: string, allowAuto: true): ResourceType | 'auto';
export function resourceTypeParam(value: string, allowAuto: false): ResourceType;
export function resourceTypeParam(value: string, allowAuto: boolean): ResourceType | 'auto' {
  if (value === 'image' || value === 'video' || value === 'raw' || (allowAuto && value === 'auto')) return value;
  throw new HttpError(400, `Invalid resource_type ${value}`);
}
