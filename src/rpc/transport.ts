/**
 * The seam between Nucleon's processes: the server and the agents send each other messages
 * through an RpcTransport. Two backends implement it, `InProcessTransport` (all-in-one: every
 * component in one process) and `RabbitTransport` (hosts apart, through RabbitMQ); both pass
 * `transport.contract.ts`. Names follow oslo.messaging: a server serves a *topic* (`q-plugin`,
 * `dhcp_agent`) as a host; a message goes to any one server of the topic, to the one of a given
 * host (`dhcp_agent.<host>`), or to all of them (fanout).
 *
 * Delivery is at most once across a broker restart and may be duplicated by a reconnection
 * (see ARCHITECTURE.md, "RPC"): receivers are idempotent and drop stale revisions
 * (`revisions.ts`); agents resynchronise periodically and after `onReconnect`.
 */

/** Where a message goes: any server of `topic`, or only the one(s) serving it as host `server`. */
export interface Target {
  topic: string;
  server?: string;
}

/** One request on the wire: Neutron's method name and keyword arguments, with the interface's version. */
export interface RpcRequest {
  method: string;
  /** `major.minor` of the interface the sender speaks; a server refuses another major or a newer minor. */
  version: string;
  /** Which served interface the method belongs to, when several share a topic. */
  namespace?: string;
  args: Record<string, unknown>;
}

/** One served interface: what a server answers for, in one namespace and version. */
export interface Endpoint {
  namespace?: string;
  /** `major.minor`: messages of this major and any minor up to this one are accepted. */
  version: string;
  /** Handlers by method name; what they return (JSON) is a call's result, what they throw its RemoteError. */
  methods: Record<string, (args: Record<string, unknown>) => unknown>;
}

export interface RpcServer {
  /** Stops consuming: no new message reaches the endpoints (handlers already running finish). */
  stop(): Promise<void>;
}

export interface RpcTransport {
  /**
   * Sends a request that expects no answer. Resolves once the message is accepted for delivery
   * (buffered while a broker is unreachable); rejects with MessageDeliveryFailure when it cannot
   * be. Does not wait for the receiver. Casts from one sender to one queue arrive in order.
   */
  cast(target: Target, request: RpcRequest): Promise<void>;
  /**
   * Sends a request to one server and waits for its reply: the handler's result, or a RemoteError
   * with the handler's exception; MessagingTimeout after `timeoutMs` (default
   * `[DEFAULT] rpc_response_timeout`).
   */
  call(target: Target, request: RpcRequest, opts?: { timeoutMs?: number }): Promise<unknown>;
  /** Casts to every server of `topic` (each gets one copy). Resolves like cast. */
  fanout(topic: string, request: RpcRequest): Promise<void>;
  /**
   * Serves `topic` as host `server`: consumes the topic's shared queue (load-balanced between its
   * servers), the per-host queue `<topic>.<server>`, and a fanout queue of its own. Resolves once
   * the queues exist and are consumed (waits for the broker if it is unreachable). Unknown
   * methods, incompatible versions and malformed messages are logged and refused, never thrown.
   */
  serve(target: Required<Target>, endpoints: Endpoint[]): Promise<RpcServer>;
  /** True while messages go out at once (false: buffered until the broker is back). */
  readonly connected: boolean;
  /**
   * Calls `listener` after every reconnection to the broker (never for the in-process transport):
   * fanouts sent during the outage were lost for this process, so agents resynchronise fully.
   * Returns a function that removes the listener.
   */
  onReconnect(listener: () => void): () => void;
  /** Stops every server of this transport, fails pending calls, closes the connection. */
  close(): Promise<void>;
}
