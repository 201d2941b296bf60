/**
 * Picks the transport `[DEFAULT] transport_url` names: in-process when empty or `inproc://`,
 * RabbitMQ for `rabbit://…`, with the timeouts, prefetch, backoff and buffer from the
 * configuration. A bad URL throws naming the option, so the process does not start.
 */
import os from 'node:os';
import type { Logger } from 'pino';
import type { Config } from '../config/config.js';
import { InProcessTransport } from './in-process-transport.js';
import { RabbitTransport } from './rabbitmq-transport.js';
import { parseTransportUrl } from './transport-url.js';
import type { RpcTransport } from './transport.js';

/** `name` shows in RabbitMQ's connection list, e.g. `nucleon-server`, `nucleon-agent dhcp`. */
export function createTransport(config: Config, logger: Logger, name = 'nucleon'): RpcTransport {
  const url = parseTransportUrl(config.DEFAULT.transport_url);
  const responseTimeoutMs = config.DEFAULT.rpc_response_timeout * 1000;
  const log = logger.child({ component: 'rpc' });
  if (url.driver === 'inproc') return new InProcessTransport({ logger: log, responseTimeoutMs });
  const rabbit = config.oslo_messaging_rabbit;
  return new RabbitTransport({
    hosts: url.hosts,
    vhost: url.vhost,
    logger: log,
    controlExchange: config.DEFAULT.control_exchange,
    responseTimeoutMs,
    prefetch: config.DEFAULT.executor_thread_pool_size,
    retryIntervalMs: rabbit.rabbit_retry_interval * 1000,
    retryMaxMs: rabbit.rabbit_interval_max * 1000,
    bufferSize: rabbit.cast_buffer_size,
    name: `${name}:${os.hostname()}:${process.pid}`,
  });
}
