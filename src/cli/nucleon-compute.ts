#!/usr/bin/env node
/**
 * nucleon-compute: boots "VMs" (network namespaces) on the hosts of a nucleon-lab (src/compute/compute.ts).
 *
 *   nucleon-compute [--lab lab] [--url http://127.0.0.1:9696] [--project-id P] boot --host hv1 --network NET
 *                   [--port PORT] [--security-group SG]... [--timeout 60] NAME
 *   nucleon-compute list
 *   nucleon-compute renew NAME            (runs the VM's DHCP client again)
 *   nucleon-compute delete NAME
 *   nucleon-compute console NAME -- CMD [ARG]...
 * Credentials: OS_AUTH_URL/OS_USERNAME/OS_PASSWORD/OS_PROJECT_NAME for Keystone, else noauth.
 */
import { spawnSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { ProcessRunner } from '../linux/runner.js';
import { apiClient } from '../compute/api-client.js';
import { Compute, ComputeError } from '../compute/compute.js';

const USAGE = `usage: nucleon-compute [--lab P] [--url API] [--project-id ID] boot --host HOST (--network NET | --port PORT)
                       [--security-group SG]... [--timeout S] NAME
       nucleon-compute [--lab P] list
       nucleon-compute [--lab P] renew NAME
       nucleon-compute [--lab P] delete NAME
       nucleon-compute [--lab P] console NAME -- CMD [ARG]...
`;

async function main(): Promise<number> {
  const dash = process.argv.indexOf('--');
  const argv = dash >= 0 ? process.argv.slice(2, dash) : process.argv.slice(2);
  const command = dash >= 0 ? process.argv.slice(dash + 1) : [];
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      lab: { type: 'string', default: process.env.NUCLEON_LAB ?? 'lab' },
      url: { type: 'string', default: process.env.NUCLEON_URL },
      'project-id': { type: 'string' },
      host: { type: 'string' },
      network: { type: 'string' },
      port: { type: 'string' },
      'security-group': { type: 'string', multiple: true, default: [] },
      timeout: { type: 'string', default: '60' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const [cmd, name] = positionals;
  if (values.help || !cmd || !['boot', 'list', 'renew', 'delete', 'console'].includes(cmd) || (cmd !== 'list' && !name)) {
    process.stderr.write(USAGE);
    return values.help ? 0 : 2;
  }
  if (process.getuid?.() !== 0) throw new ComputeError('nucleon-compute needs root (VMs are network namespaces)');
  const say = (l: string) => process.stdout.write(`${l}\n`);
  const api = apiClient({ url: values.url, projectId: values['project-id'] });
  const timeoutMs = Number(values.timeout) * 1000;
  if (!(timeoutMs > 0)) throw new ComputeError(`--timeout ${values.timeout}: a number of seconds`);
  // a command may take as long as the boot may (udhcpc retries for that long)
  const runner = new ProcessRunner(pino({ level: process.env.NUCLEON_COMPUTE_LOG ?? 'warn' }), timeoutMs + 5000);
  const compute = Compute.forLab(api, runner, values.lab as string, (l) => process.stderr.write(`${l}\n`));
  switch (cmd) {
    case 'boot': {
      if (!values.host) throw new ComputeError('boot needs --host');
      const { record, port, lease } = await compute.boot({
        name,
        host: values.host,
        network: values.network,
        port: values.port,
        securityGroups: values['security-group'] as string[],
        timeoutMs,
      });
      const ips = (port.fixed_ips as Array<{ ip_address: string }>).map((i) => i.ip_address).join(', ');
      say(`${record.name}: ACTIVE on ${record.host}, port ${record.portId}, mac ${port.mac_address}, ${lease ? `DHCP lease ${lease.ip}/${lease.mask} router ${lease.router || '-'} mtu ${lease.mtu || '-'}` : `static ${ips}`}`);
      return 0;
    }
    case 'list':
      for (const vm of await compute.list()) {
        say(`${vm.name.padEnd(16)} ${vm.host.padEnd(11)} ${vm.running ? 'running' : 'GONE   '} port ${vm.portId} ${vm.status.padEnd(6)} ${vm.addresses.join(' ') || '-'}`);
      }
      return 0;
    case 'renew': {
      const lease = await compute.dhcp(name, timeoutMs);
      say(`${name}: DHCP lease ${lease?.ip}/${lease?.mask} router ${lease?.router || '-'} mtu ${lease?.mtu || '-'}`);
      return 0;
    }
    case 'delete':
      await compute.delete(name);
      say(`${name}: deleted`);
      return 0;
    case 'console': {
      const vm = compute.record(name);
      if (!vm) throw new ComputeError(`no VM named '${name}'`);
      if (!command.length) throw new ComputeError('console needs a command after --');
      const r = spawnSync('ip', ['netns', 'exec', vm.namespace, ...command], { stdio: 'inherit' });
      return r.status ?? 1;
    }
  }
  return 2;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`nucleon-compute: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
