/**
 * What a host has, for the DHCP agent: our `<prefix>qdhcp-<net-id>` namespaces (`ip -j netns
 * list`), their `ns-…` devices with MAC, MTU and addresses (`ip -n NS -j addr show`), and per
 * network state directory the files dnsmasq reads and the dnsmasq its pid file names, when
 * /proc/<pid>/cmdline shows it is still that dnsmasq (a dead one, or a pid taken by another
 * process, is no process). `parse*` are pure; `observeDhcp` reads through the CommandRunner and the
 * file system.
 */
import { readdir, readFile } from 'node:fs/promises';
import type { CommandRunner } from '../../linux/runner.js';
import { ipIn } from '../../linux/ip-netns.js';
import { networkDir, qdhcpNamespace, type DhcpHostState, type DhcpLayout } from './plan.js';
import { parseAgentNamespaces, parseNsDevices, UUID, type IpAddrLink, type NsDevice } from '../netns-device.js';

/** Network id → namespace, for the namespaces named `<prefix>qdhcp-<uuid>`. */
export const parseNamespaces = (list: Array<{ name?: string }>, prefix: string) => parseAgentNamespaces(list, prefix, 'qdhcp');

/** The `ns-…` devices of a qdhcp namespace; link-local IPv6 addresses are left out. */
export const parseDhcpDevices = (links: IpAddrLink[]): Map<string, NsDevice> => parseNsDevices(links, /^ns-/);

/** A `/proc/<pid>/cmdline` is our dnsmasq of `dir` when it is dnsmasq with that pid file. */
export function parseCmdline(cmdline: string, dir: string): string[] | null {
  const argv = cmdline.replace(/\0$/, '').split('\0');
  return argv[0]?.endsWith('dnsmasq') && argv.includes(`--pid-file=${dir}/pid`) ? argv : null;
}

const readOr = (path: string) => readFile(path, 'utf8').catch(() => undefined);

/** The DHCP state of the host: every network it has something of, or only network `only`. */
export async function observeDhcp(run: CommandRunner, o: DhcpLayout, only?: string): Promise<DhcpHostState> {
  const list = JSON.parse((await run.run(['ip', '-j', 'netns', 'list'], { read: true })) || '[]') as Array<{ name?: string }>;
  const namespaces = parseNamespaces(list, o.prefix);
  const dirs = (await readdir(o.stateDir).catch(() => [] as string[])).filter((d) => new RegExp(`^${UUID}$`).test(d));
  const state: DhcpHostState = new Map();
  for (const id of [...new Set([...namespaces.keys(), ...dirs])].sort()) {
    if (only !== undefined && id !== only) continue;
    const netns = namespaces.get(id) ?? qdhcpNamespace(o.prefix, id);
    const dir = networkDir(o.stateDir, id);
    let devices = new Map<string, NsDevice>();
    if (namespaces.has(id)) devices = parseDhcpDevices(JSON.parse((await run.run([...ipIn(netns), '-j', 'addr', 'show'], { read: true })) || '[]') as IpAddrLink[]);
    const files = new Map<string, string>();
    for (const f of ['host', 'opts']) {
      const content = await readOr(`${dir}/${f}`);
      if (content !== undefined) files.set(f, content);
    }
    let process: { argv: string[]; pid: number } | null = null;
    const pid = Number((await readOr(`${dir}/pid`))?.trim());
    if (Number.isInteger(pid) && pid > 0) {
      const argv = parseCmdline((await readOr(`/proc/${pid}/cmdline`)) ?? '', dir);
      if (argv) process = { argv, pid };
    }
    state.set(id, { netns, hasNetns: namespaces.has(id), devices, dir, files, process });
  }
  return state;
}
