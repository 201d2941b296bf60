/**
 * The RPC transport contract (src/rpc/transport.contract.ts) on both backends: in-process, and
 * RabbitMQ on 127.0.0.1:5672 with this run's own control exchange and topic names, deleted at the end.
 */
import { InProcessHub, InProcessTransport } from '../src/rpc/in-process-transport.js';
import { RabbitTransport } from '../src/rpc/rabbitmq-transport.js';
import { CONTRACT_HOSTS, transportContract } from '../src/rpc/transport.contract.js';
import { deleteNames, rabbitSkipReason, rawChannel, runPrefix, RABBIT } from './helpers/rabbitmq.js';

const hub = new InProcessHub();
transportContract({
  name: 'in-process',
  open: async (logger) => new InProcessTransport({ logger, hub }),
  publishRaw: async (queue, body) => void hub.publish(queue, { body }),
  topic: (label) => `q-test-${label}`,
  cleanup: async () => {},
});

const prefix = runPrefix('contract');
const topics: string[] = [];
transportContract({
  name: 'RabbitMQ',
  skip: await rabbitSkipReason(),
  open: async (logger) => new RabbitTransport({ ...RABBIT, logger, controlExchange: prefix, retryIntervalMs: 100, retryMaxMs: 1000 }),
  async publishRaw(queue, body) {
    const { ch, close } = await rawChannel();
    ch.sendToQueue(queue, body);
    await ch.waitForConfirms();
    await close();
  },
  topic(label) {
    topics.push(`${prefix}-${label}`);
    return topics[topics.length - 1];
  },
  async cleanup() {
    if (!topics.length) return;
    await deleteNames({
      queues: topics.flatMap((t) => [t, ...CONTRACT_HOSTS.map((h) => `${t}.${h}`)]),
      exchanges: [prefix, ...topics.map((t) => `${t}_fanout`)],
    });
  },
});

