import { once } from 'node:events';
import { STATUS_CODES } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { EmulatorContext, HungConnection } from './context.js';
import { errorBody, quotaHeaders, sendOverLimit, sendRateLimited } from './errors.js';

/** What the connection faults touch of any provider's context: its held connections and its stats. */
type ConnectionFaultContext = Pick<EmulatorContext, 'hung' | 'stats'>;

/**
 * Holds the connection without answering, then drops it; closing the emulator drops it early.
 * Every provider's fault answers share it.
 */
export function hang(context: ConnectionFaultContext, request: FastifyRequest, reply: FastifyReply, hangMs: number): void {
  void reply.hijack();
  // Keep reading so the client finishes sending and then waits on us, like a stalled server.
  request.raw.resume();
  const socket = request.raw.socket;
  const connection: HungConnection = { socket, timer: setTimeout(() => socket.destroy(), hangMs) };
  context.hung.add(connection);
  socket.once('close', () => {
    clearTimeout(connection.timer);
    context.hung.delete(connection);
  });
  context.stats.outcome('timeout');
}

/** Destroys the connection without answering. Every provider's fault answers share it. */
export function resetConnection(context: ConnectionFaultContext, request: FastifyRequest, reply: FastifyReply): void {
  void reply.hijack();
  request.raw.socket.destroy();
  context.stats.outcome('reset');
}

/**
 * Reads and discards the rest of the request body before a fault answer, as a server that parses
 * the whole upload (Cloudinary) does. Answering mid-body makes the server close the connection
 * under a client still writing, which then sees EPIPE instead of the 420/5xx — a different failure
 * than the one scripted. Bounded, so a client that never finishes cannot hold the emulator.
 */
export async function drainBody(request: FastifyRequest, maxWaitMs = 30_000): Promise<void> {
  const body = request.raw;
  if (body.readableEnded) return;
  body.resume();
  await Promise.race([once(body, 'end').catch(() => undefined), sleep(maxWaitMs)]);
}

/**
 * Applies latency and the next scripted fault (or the rate limiter) to an upload request.
 * Returns true when the request has been dealt with and the route must stop.
 */
export async function applyFaults(context: EmulatorContext, request: FastifyRequest, reply: FastifyReply): Promise<boolean> {
  if (context.faults.latencyMs > 0) await sleep(context.faults.latencyMs);
  const decision = context.faults.next();
  switch (decision.action) {
    case 'pass':
      // Set now, sent with whatever answer the route gives (the asset, or a 4xx).
      if (decision.quota) void reply.headers(quotaHeaders(decision.quota));
      return false;
    case 'over_limit':
      await drainBody(request);
      void sendOverLimit(reply, decision);
      return true;
    case 'rate_limit':
      await drainBody(request);
      void sendRateLimited(reply, decision);
      return true;
    case 'error':
      await drainBody(request);
      void reply.code(decision.status).send(errorBody(decision.message ?? STATUS_CODES[decision.status] ?? 'Error'));
      return true;
    case 'timeout':
      hang(context, request, reply, decision.hangMs);
      return true;
    case 'reset':
      resetConnection(context, request, reply);
      return true;
  }
}
