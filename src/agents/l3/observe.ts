/**
 * What a host has, for the L3 agent: our `<prefix>qrouter-<router-id>` namespaces (`ip -j netns
 * list`), in each its `qr-`/`qg-` devices with MAC, MTU and addresses (`ip -j addr`), its routes
 * through a next hop (`ip -j route`, both families), its forwarding switches (`sysctl`) and its NAT
 * table's signature (`nft -j list table`); and per router state directory the radvd and keepalived
 * configurations, the HA state keepalived's notify script wrote, and the radvd and keepalived their
 * pid files name, when /proc/<pid>/cmdline shows it is still that process. `parse*`
 * are pure; `observeL3` reads through the CommandRunner and the file system, several routers at once.
 */
import { readdir, readFile } from 'node:fs/promises';
import type { CommandRunner } from '../../linux/runner.js';
import { NAT_TABLE, parseNat } from './nat.js';
import { parseRadvdCmdline } from './radvd.js';
import { parseKeepalivedCmdline } from './keepalived.js';
import { qrouterNamespace, routeKey, ROUTER_SYSCTLS, routerDir, type L3HostState, type L3Layout, type RouterRoute, type RouterState } from './plan.js';
import { parseAgentNamespaces, parseNsDevices, UUID, type IpAddrLink } from '../netns-device.js';

/** Router id → namespace, for the namespaces named `<prefix>qrouter-<uuid>`. */
export const parseRouterNamespaces = (list: Array<{ name?: string }>, prefix: string) => parseAgentNamespaces(list, prefix, 'qrouter');

/** The `qr-`/`qg-`/`ha-` devices of a router namespace; link-local and host-scope addresses are left out. */
export const parseRouterDevices = (links: IpAddrLink[]) => parseNsDevices(links, /^(q[rg]|ha)-/);

/** The routes through a next hop (ours: connected and kernel routes have none), sorted by routeKey. */
export function parseRoutes(routes: Array<{ dst?: string; gateway?: string; type?: string }>): RouterRoute[] {
  return routes
    .filter((r) => typeof r.dst === 'string' && typeof r.gateway === 'string' && (r.type ?? 'unicast') === 'unicast')
    .map((r) => ({ dst: r.dst!, via: r.gateway! }))
    .sort((a, b) => (routeKey(a) < routeKey(b) ? -1 : 1));
}

const readOr = (path: string) => readFile(path, 'utf8').catch(() => undefined);
const json = <T>(text: string, empty: T): T => (text.trim() ? (JSON.parse(text) as T) : empty);

/**
 * What observeL3 reads in each router namespace, for many namespaces in one process (starting a
 * process per read is most of the cost with hundreds of routers): per namespace, sections headed
 * `#nucleon <netns> <what>`. A namespace that went meanwhile gives empty sections.
 */
const READ_ROUTERS = [
  'for ns do',
  '  printf "\\n#nucleon %s addr\\n" "$ns"; ip -n "$ns" -j addr show 2>/dev/null',
  '  printf "\\n#nucleon %s route4\\n" "$ns"; ip -n "$ns" -4 -j route show 2>/dev/null',
  '  printf "\\n#nucleon %s route6\\n" "$ns"; ip -n "$ns" -6 -j route show 2>/dev/null',
  `  printf "\\n#nucleon %s sysctl\\n" "$ns"; nsenter --net="/run/netns/$ns" sysctl -n ${ROUTER_SYSCTLS.map(([k]) => k).join(' ')} 2>/dev/null`,
  `  printf "\\n#nucleon %s nat\\n" "$ns"; nsenter --net="/run/netns/$ns" nft -j list table ip ${NAT_TABLE} 2>/dev/null`,
  'done',
  'exit 0',
].join('\n');

/** The sections of READ_ROUTERS's output: netns → what → text. */
export function parseSections(out: string): Map<string, Map<string, string>> {
  const sections = new Map<string, Map<string, string>>();
  let at: { ns: string; what: string; lines: string[] } | undefined;
  const close = () => at && (sections.get(at.ns) ?? sections.set(at.ns, new Map()).get(at.ns)!).set(at.what, at.lines.join('\n'));
  for (const line of out.split('\n')) {
    const m = /^#nucleon (\S+) (\w+)$/.exec(line);
    if (!m) {
      at?.lines.push(line);
      continue;
    }
    close();
    at = { ns: m[1], what: m[2], lines: [] };
  }
  close();
  return sections;
}

/** One router's state from its sections (none: it has no namespace). */
function routerState(o: L3Layout, id: string, netns: string | undefined, read: Map<string, string> | undefined): RouterState {
  const state: RouterState = {
    netns: netns ?? qrouterNamespace(o.prefix, id),
    hasNetns: netns !== undefined,
    sysctls: new Map(),
    devices: new Map(),
    routes: [],
    nat: { signature: '', script: [] },
    dir: routerDir(o.stateDir, id),
    files: new Map(),
    radvd: null,
    keepalived: null,
    ha: false,
    haState: '',
  };
  if (!netns || !read) return state;
  const text = (what: string) => read.get(what) ?? '';
  state.devices = parseRouterDevices(json(text('addr'), []));
  state.routes = parseRoutes([...json<Array<{ dst?: string; gateway?: string }>>(text('route4'), []), ...json<Array<{ dst?: string; gateway?: string }>>(text('route6'), [])]);
  const values = text('sysctl').trim().split('\n');
  ROUTER_SYSCTLS.forEach(([k], i) => values[i] !== undefined && values[i].trim() !== '' && state.sysctls.set(k, values[i].trim()));
  state.nat.signature = text('nat').trim() ? parseNat(json(text('nat'), {})) : '';
  return state;
}

/** The files of a router's state directory, and the radvd and keepalived their pid files name. */
async function observeFiles(state: RouterState): Promise<void> {
  for (const f of ['radvd.conf', 'keepalived.conf', 'notify.sh']) {
    const content = await readOr(`${state.dir}/${f}`);
    if (content !== undefined) state.files.set(f, content);
  }
  state.haState = ((await readOr(`${state.dir}/state`)) ?? '').trim();
  const proc = async (pidFile: string, parse: (cmdline: string, dir: string) => string[] | null) => {
    const pid = Number((await readOr(`${state.dir}/${pidFile}`))?.trim());
    if (!Number.isInteger(pid) || pid <= 0) return null;
    const argv = parse((await readOr(`/proc/${pid}/cmdline`)) ?? '', state.dir);
    return argv ? { argv, pid } : null;
  };
  state.radvd = await proc('radvd.pid', parseRadvdCmdline);
  state.keepalived = await proc('keepalived.pid', parseKeepalivedCmdline);
  if (!state.keepalived) {
    // its VRRP child outlives a killed parent, and would keep a new keepalived from starting:
    // shown with no command line, it is stopped before one starts
    const orphan = await proc('keepalived-vrrp.pid', parseKeepalivedCmdline);
    if (orphan) state.keepalived = { argv: [], pid: orphan.pid };
  }
}

/** The L3 state of the host: every router it has something of (a namespace, a state directory), or only router `only`. */
export async function observeL3(run: CommandRunner, o: L3Layout, only?: string, chunk = 50): Promise<L3HostState> {
  const list = json<Array<{ name?: string }>>(await run.run(['ip', '-j', 'netns', 'list'], { read: true }), []);
  const namespaces = parseRouterNamespaces(list, o.prefix);
  const dirs = (await readdir(o.stateDir).catch(() => [] as string[])).filter((d) => new RegExp(`^${UUID}$`).test(d));
  const ids = [...new Set([...namespaces.keys(), ...dirs])].filter((id) => only === undefined || id === only).sort();
  const present = ids.filter((id) => namespaces.has(id)).map((id) => namespaces.get(id)!);
  const read = new Map<string, Map<string, string>>();
  const chunks = Array.from({ length: Math.ceil(present.length / chunk) }, (_, i) => present.slice(i * chunk, (i + 1) * chunk));
  await Promise.all(
    chunks.map(async (names) => {
      for (const [ns, sections] of parseSections(await run.run(['sh', '-c', READ_ROUTERS, 'observe', ...names], { read: true }))) read.set(ns, sections);
    }),
  );
  const state: L3HostState = new Map();
  for (const id of ids) {
    const r = routerState(o, id, namespaces.get(id), read.get(namespaces.get(id) ?? ''));
    await observeFiles(r);
    state.set(id, r);
  }
  return state;
}
