/**
 * The bytes on the wire, the same for both transports: a request is the JSON object
 * `{"method", "version", "namespace"?, "args"}`; a reply is `{"result": …}` or
 * `{"failure": {"type", "message"}}`. A call's correlation id and reply address travel beside the
 * body (AMQP properties), so a server can answer even a call whose body it cannot read.
 * Queues and exchanges are named as oslo.messaging names them. Pure but for fresh unique names.
 */
import { randomUUID } from 'node:crypto';
import { MalformedMessage, RemoteError, errorType } from './rpc-errors.js';
import type { RpcRequest, Target } from './transport.js';

const VERSION = /^(\d+)\.(\d+)(?:\.(\d+))?$/;

/** The routing key, and name of the queue, of a target: `<topic>` (shared by its servers) or `<topic>.<server>`. */
export const routingKey = (target: Target): string => (target.server ? `${target.topic}.${target.server}` : target.topic);
/** The fanout exchange of a topic; each server binds a queue of its own to it. */
export const fanoutExchange = (topic: string): string => `${topic}_fanout`;
/** A name unique to this process and moment: `reply_<hex>`, `<topic>_fanout_<hex>`. */
export const uniqueName = (prefix: string): string => `${prefix}_${randomUUID().replaceAll('-', '')}`;

/** A call's reply: the handler's result, or the error to raise at the caller. */
export type Reply = { ok: true; result: unknown } | { ok: false; error: RemoteError };

export function renderRequest(request: RpcRequest): Buffer {
  return Buffer.from(JSON.stringify({ method: request.method, version: request.version, namespace: request.namespace, args: request.args }));
}

/** Reads a request; throws MalformedMessage naming what is wrong. */
export function parseRequest(body: Buffer): RpcRequest {
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch {
    throw new MalformedMessage({ reason: `body is not JSON (${body.length} bytes)` });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new MalformedMessage({ reason: 'body is not a JSON object' });
  const m = value as Record<string, unknown>;
  if (typeof m.method !== 'string' || !m.method) throw new MalformedMessage({ reason: "'method' is not a non-empty string" });
  if (typeof m.version !== 'string' || !VERSION.test(m.version)) throw new MalformedMessage({ reason: `'version' is not major.minor in ${m.method}` });
  if (m.namespace !== undefined && m.namespace !== null && typeof m.namespace !== 'string') {
    throw new MalformedMessage({ reason: `'namespace' is not a string in ${m.method}` });
  }
  if (typeof m.args !== 'object' || m.args === null || Array.isArray(m.args)) throw new MalformedMessage({ reason: `'args' is not an object in ${m.method}` });
  return { method: m.method, version: m.version, namespace: (m.namespace as string | null) ?? undefined, args: m.args as Record<string, unknown> };
}

export function renderResult(result: unknown): Buffer {
  return Buffer.from(JSON.stringify({ result: result ?? null }));
}

export function renderFailure(err: unknown): Buffer {
  const message = err instanceof Error ? err.message : String(err);
  return Buffer.from(JSON.stringify({ failure: { type: errorType(err), message } }));
}

/** Reads a reply; one that cannot be read becomes a RemoteError of type MalformedMessage. */
export function parseReply(body: Buffer): Reply {
  try {
    const m = JSON.parse(body.toString('utf8')) as { result?: unknown; failure?: { type?: unknown; message?: unknown } };
    if (m.failure && typeof m.failure === 'object') {
      return { ok: false, error: new RemoteError(String(m.failure.type ?? 'Error'), String(m.failure.message ?? '')) };
    }
    if (typeof m === 'object' && m !== null && 'result' in m) return { ok: true, result: m.result };
  } catch {
    // falls through to the malformed reply below
  }
  return { ok: false, error: new RemoteError('MalformedMessage', `unreadable reply (${body.length} bytes)`) };
}

/**
 * oslo.messaging's rule: a server implementing `served` accepts a message of `requested` when the
 * majors are equal and the served minor (then revision) is not older than the requested one.
 */
export function isCompatible(served: string, requested: string): boolean {
  const s = VERSION.exec(served);
  const r = VERSION.exec(requested);
  if (!s || !r) return false;
  if (s[1] !== r[1]) return false;
  const [sMinor, rMinor] = [Number(s[2]), Number(r[2])];
  if (sMinor !== rMinor) return sMinor > rMinor;
  return Number(s[3] ?? 0) >= Number(r[3] ?? 0);
}
