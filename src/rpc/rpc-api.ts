/**
 * Typed, versioned RPC interfaces on top of an RpcTransport. An interface is a TypeScript type of
 * methods, each taking one object of keyword arguments (Neutron's kwargs) and returning a JSON
 * value, plus its version (and namespace); `RpcClient` sends its methods with type-checked
 * arguments and results, `endpoint` turns handlers for them into what `serve` takes.
 *
 *   type ReportsApi = { report_state(args: { agent_state: AgentState; time: string }): 'alive' | 'revived' };
 *   const REPORTS_API = defineApi<ReportsApi>({ version: '1.0' });
 */
import type { Endpoint, RpcRequest, RpcTransport } from './transport.js';

/** Methods of an interface: keyword arguments in, a JSON value (or its promise) out. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type RpcMethods<M> = { [K in keyof M]: (args: any) => unknown };

export type RpcArgs<F> = F extends (args: infer A) => unknown ? A : never;
type Result<F> = F extends (args: never) => infer R ? Awaited<R> : never;

export interface RpcApi<M extends RpcMethods<M>> {
  readonly namespace?: string;
  /** `major.minor` the server side implements and the client side sends. */
  readonly version: string;
  /** Per method, the version it appeared in, sent instead of `version` so older servers still take it. */
  readonly since?: Partial<Record<keyof M & string, string>>;
  /** The method types (never set at run time). */
  readonly methods?: M;
}

export function defineApi<M extends RpcMethods<M>>(api: Omit<RpcApi<M>, 'methods'>): RpcApi<M> {
  return api;
}

/** Handlers for (some of) an interface's methods, checked against its declaration: arguments in, its result out. */
export type Handlers<M> = { [K in keyof M]?: (args: RpcArgs<M[K]>) => Result<M[K]> | Promise<Result<M[K]>> };

/**
 * What a server answers for `api`: a handler per method it implements (an agent serving
 * `q-agent-notifier-port-update` implements `port_update` only); the others are NoSuchMethod.
 * Arguments come off the wire: a handler checks them before trusting their declared types.
 */
export function endpoint<M extends RpcMethods<M>>(api: RpcApi<M>, handlers: Handlers<M>): Endpoint {
  return { namespace: api.namespace, version: api.version, methods: handlers as Endpoint['methods'] };
}

/** Sends the methods of one interface to one topic. */
export class RpcClient<M extends RpcMethods<M>> {
  constructor(
    private readonly transport: RpcTransport,
    private readonly api: RpcApi<M>,
    readonly topic: string,
  ) {}

  /** The request on the wire for a method and its arguments. */
  request<K extends keyof M & string>(method: K, args: RpcArgs<M[K]>): RpcRequest {
    return { method, version: this.api.since?.[method] ?? this.api.version, namespace: this.api.namespace, args: args as Record<string, unknown> };
  }

  /** Waits for one server's answer (or the host `server`'s); see RpcTransport.call. */
  async call<K extends keyof M & string>(method: K, args: RpcArgs<M[K]>, opts: { server?: string; timeoutMs?: number } = {}): Promise<Result<M[K]>> {
    const target = { topic: this.topic, server: opts.server };
    return (await this.transport.call(target, this.request(method, args), { timeoutMs: opts.timeoutMs })) as Result<M[K]>;
  }

  /** To one server of the topic, or to host `server`'s; see RpcTransport.cast. */
  cast<K extends keyof M & string>(method: K, args: RpcArgs<M[K]>, opts: { server?: string } = {}): Promise<void> {
    return this.transport.cast({ topic: this.topic, server: opts.server }, this.request(method, args));
  }

  /** To every server of the topic; see RpcTransport.fanout. */
  fanout<K extends keyof M & string>(method: K, args: RpcArgs<M[K]>): Promise<void> {
    return this.transport.fanout(this.topic, this.request(method, args));
  }
}
