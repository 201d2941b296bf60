/**
 * The errors RPC callers see, named like oslo.messaging's exceptions so that operators and
 * Neutron developers recognise them in logs. `type` is what goes on the wire when a server
 * refuses a message (the caller then gets a RemoteError carrying that type). No I/O.
 */

export class MessagingError extends Error {
  constructor(
    readonly type: string,
    message: string,
  ) {
    super(message);
    this.name = type;
  }
}

/** Declares one error class: its type name and its message built from parameters. */
function declare<P extends object>(type: string, template: (p: P) => string) {
  return class extends MessagingError {
    constructor(p: P) {
      super(type, template(p));
    }
  };
}

/** No reply came in time (the server is down, slow, or the reply was lost with a connection). */
export const MessagingTimeout = declare(
  'MessagingTimeout',
  (p: { topic: string; method: string; msgId: string; timeoutMs: number }) =>
    `Timed out waiting for a reply to ${p.method} on ${p.topic} (message ID ${p.msgId}) after ${p.timeoutMs / 1000} s`,
);
/** The served interfaces in the message's namespace have no method of that name. */
export const NoSuchMethod = declare('NoSuchMethod', (p: { method: string }) => `Endpoint does not support RPC method ${p.method}`);
/** No served interface in the message's namespace is compatible with the message's version. */
export const UnsupportedVersion = declare(
  'UnsupportedVersion',
  (p: { version: string; method: string }) => `Endpoint does not support RPC version ${p.version}. Attempted method: ${p.method}`,
);
/** The body is not JSON, or not a request or reply of the shape every Nucleon process sends. */
export const MalformedMessage = declare('MalformedMessage', (p: { reason: string }) => `Malformed RPC message: ${p.reason}`);
/** The message could not be handed to the broker: too many waiting while it is unreachable, or the transport is closed. */
export const MessageDeliveryFailure = declare('MessageDeliveryFailure', (p: { reason: string }) => p.reason);
/** The broker had no queue for a call's topic (no server ever served it), so no reply can come. */
export const MessageUndeliverable = declare(
  'MessageUndeliverable',
  (p: { target: string; method: string }) => `No server listens on ${p.target}; ${p.method} was not delivered`,
);

/**
 * The server's handler failed: `excType` is the name of its exception (a Neutron exception name
 * such as `PortNotFound`, or `NoSuchMethod`, `UnsupportedVersion`, `TypeError` …), `value` its message.
 */
export class RemoteError extends MessagingError {
  constructor(
    readonly excType: string,
    readonly value: string,
  ) {
    super('RemoteError', `Remote error: ${excType} ${value}`);
  }
}

/** The type name a failure travels under: a Neutron or messaging error's `type`, else the JavaScript class name. */
export function errorType(err: unknown): string {
  const e = err as { type?: unknown; name?: unknown } | null;
  if (typeof e?.type === 'string') return e.type;
  if (typeof e?.name === 'string' && e.name) return e.name;
  return 'Error';
}
