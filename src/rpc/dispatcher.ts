/**
 * What a server does with one delivery, whatever brought it: read the request, find the served
 * interface and method (oslo.messaging's dispatcher rules: namespace, then a compatible version,
 * then the method), run the handler, and render the reply for a call. It never throws: a bad
 * message is logged and refused (a call gets the error as its reply, a cast is dropped), so
 * neither side crashes on it.
 */
import type { Logger } from 'pino';
import { NeutronError } from '../core/errors.js';
import { NoSuchMethod, UnsupportedVersion, errorType } from './rpc-errors.js';
import { isCompatible, parseRequest, renderFailure, renderResult } from './message.js';
import type { Endpoint, RpcRequest } from './transport.js';

/** Finds the handler for a request; throws NoSuchMethod or UnsupportedVersion like oslo.messaging. */
export function findHandler(endpoints: Endpoint[], request: RpcRequest): (args: Record<string, unknown>) => unknown {
  let compatible = false;
  for (const endpoint of endpoints) {
    if ((endpoint.namespace ?? undefined) !== (request.namespace ?? undefined)) continue;
    if (!isCompatible(endpoint.version, request.version)) continue;
    compatible = true;
    const handler = Object.hasOwn(endpoint.methods, request.method) ? endpoint.methods[request.method] : undefined;
    if (handler) return handler.bind(endpoint.methods);
  }
  if (compatible) throw new NoSuchMethod({ method: request.method });
  throw new UnsupportedVersion({ version: request.version, method: request.method });
}

export class Dispatcher {
  constructor(
    private readonly endpoints: Endpoint[],
    private readonly logger: Logger,
    private readonly topic: string,
  ) {}

  /** Handles one delivery; resolves with the reply body for a call, undefined for a cast. */
  async handle(body: Buffer, isCall: boolean): Promise<Buffer | undefined> {
    const what = isCall ? 'call refused, error replied' : 'cast dropped';
    let request: RpcRequest;
    let handler: (args: Record<string, unknown>) => unknown;
    try {
      request = parseRequest(body);
      handler = findHandler(this.endpoints, request);
    } catch (err) {
      // The message itself is wrong (malformed, unknown method, other version): its sender needs fixing.
      const reason = (err as Error).message;
      this.logger.warn({ topic: this.topic, error: errorType(err), reason }, `RPC ${what}: ${reason}`);
      return isCall ? renderFailure(err) : undefined;
    }
    try {
      const result = await handler(request.args);
      return isCall ? renderResult(result) : undefined;
    } catch (err) {
      const fields = { topic: this.topic, method: request.method, error: errorType(err) };
      if (err instanceof NeutronError) this.logger.info({ ...fields, reason: err.message }, `RPC ${what}: ${err.message}`);
      else this.logger.error({ ...fields, err }, `RPC ${what}: exception during message handling`);
      return isCall ? renderFailure(err) : undefined;
    }
  }
}
