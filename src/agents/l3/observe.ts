/**
 * What a host has, for the L3 agent: our `<prefix>qrouter-<router-id>` namespaces (`ip -j netns
 * list`), in each its `qr-`/`qg-` devices with MAC, MTU and addresses (`ip -j addr`), its routes
 * through a next hop (`ip -j route`, both families), its forwarding switches (`sysctl`) and its NAT
 * table's signature (`nft -j list table`); and per router state directory the radvd configuration
 * and the radvd its pid file names, when /proc/<pid>/cmdline shows it is still that radvd. `parse*`
 * are pure; `observeL3` reads through the CommandRunner and the file system, several routers at once.
 */
import { readdir, readFile } from 'node:fs/promises';
import type { CommandRunner } from '../../linux/runner.js';
import { execIn, ipIn } from '../../linux/ip-netns.js';
import { NAT_TABLE, parseNat } from './nat.js';
import { parseRadvdCmdline } from './radvd.js';
import { qrouterNamespace, routeKey, ROUTER_SYSCTLS, routerDir, type L3HostState, type L3Layout, type RouterRoute, type RouterState } from './plan.js';
import { parseAgentNamespaces, parseNsDevices, UUID, type IpAddrLink } from '../netns-device.js';

/** Router id → namespace, for the namespaces named `<prefix>qrouter-<uuid>`. */
export const parseRouterNamespaces = (list: Array<{ name?: string }>, prefix: string) => parseAgentNamespaces(list, prefix, 'qrouter');

/** The `qr-`/`qg-` devices of a router namespace; link-local and host-scope addresses are left out. */
export const parseRouterDevices = (links: IpAddrLink[]) => parseNsDevices(links, /^q[rg]-/);

/** The routes through a next hop (ours: connected and kernel routes have none), sorted by routeKey. */
export function parseRoutes(routes: Array<{ dst?: string; gateway?: string; type?: string }>): RouterRoute[] {
  return routes
    .filter((r) => typeof r.dst === 'string' && typeof r.gateway === 'string' && (r.type ?? 'unicast') === 'unicast')
    .map((r) => ({ dst: r.dst!, via: r.gateway! }))
    .sort((a, b) => (routeKey(a) < routeKey(b) ? -1 : 1));
}

const readOr = (path: string) => readFile(path, 'utf8').catch(() => undefined);
const json = <T>(text: string, empty: T): T => (text.trim() ? (JSON.parse(text) as T) : empty);

/** One router's state, its namespace `netns` given when it exists. */
async function observeRouter(run: CommandRunner, o: L3Layout, id: string, netns: string | undefined): Promise<RouterState> {
  const dir = routerDir(o.stateDir, id);
  const state: RouterState = {
    netns: netns ?? qrouterNamespace(o.prefix, id),
    hasNetns: netns !== undefined,
    sysctls: new Map(),
    devices: new Map(),
    routes: [],
    nat: { signature: '', script: [] },
    dir,
    files: new Map(),
    radvd: null,
  };
  if (netns) {
    state.devices = parseRouterDevices(json(await run.run([...ipIn(netns), '-j', 'addr', 'show'], { read: true }), []));
    const v4 = json<Array<{ dst?: string; gateway?: string }>>(await run.run([...ipIn(netns), '-4', '-j', 'route', 'show'], { read: true }), []);
    const v6 = json<Array<{ dst?: string; gateway?: string }>>(await run.run([...ipIn(netns), '-6', '-j', 'route', 'show'], { read: true }), []);
    state.routes = parseRoutes([...v4, ...v6]);
    const values = (await run.run(execIn(netns, ['sysctl', '-n', ...ROUTER_SYSCTLS.map(([k]) => k)]), { read: true }).catch(() => '')).trim().split('\n');
    ROUTER_SYSCTLS.forEach(([k], i) => values[i] !== undefined && values[i] !== '' && state.sysctls.set(k, values[i].trim()));
    const listing = await run.run(execIn(netns, ['nft', '-j', 'list', 'table', 'ip', NAT_TABLE]), { read: true }).catch(() => undefined);
    state.nat.signature = listing === undefined ? '' : parseNat(json(listing, {}));
  }
  const conf = await readOr(`${dir}/radvd.conf`);
  if (conf !== undefined) state.files.set('radvd.conf', conf);
  const pid = Number((await readOr(`${dir}/radvd.pid`))?.trim());
  if (Number.isInteger(pid) && pid > 0) {
    const argv = parseRadvdCmdline((await readOr(`/proc/${pid}/cmdline`)) ?? '', dir);
    if (argv) state.radvd = { argv, pid };
  }
  return state;
}

/** The L3 state of the host: every router it has something of (a namespace, a state directory), or only router `only`. */
export async function observeL3(run: CommandRunner, o: L3Layout, only?: string, parallel = 16): Promise<L3HostState> {
  const list = json<Array<{ name?: string }>>(await run.run(['ip', '-j', 'netns', 'list'], { read: true }), []);
  const namespaces = parseRouterNamespaces(list, o.prefix);
  const dirs = (await readdir(o.stateDir).catch(() => [] as string[])).filter((d) => new RegExp(`^${UUID}$`).test(d));
  const ids = [...new Set([...namespaces.keys(), ...dirs])].filter((id) => only === undefined || id === only).sort();
  const state: L3HostState = new Map();
  let next = 0;
  const worker = async () => {
    while (next < ids.length) {
      const id = ids[next++];
      state.set(id, await observeRouter(run, o, id, namespaces.get(id)));
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, ids.length) }, worker));
  return new Map([...state].sort(([a], [b]) => (a < b ? -1 : 1)));
}
