/**
 * `[DEFAULT] transport_url` in oslo.messaging's form: empty or `inproc://` for the in-process
 * transport; `rabbit://user:pass@host:5672[,user2:pass2@host2:5672]/vhost` for RabbitMQ, every
 * host a broker of one cluster, tried in turn. Credentials and vhost are URL-decoded; a host
 * without credentials uses guest/guest, a missing port 5672, an empty vhost `/`; query parameters
 * are ignored. Pure.
 */

export interface RabbitHost {
  hostname: string;
  port: number;
  username: string;
  password: string;
}

export type TransportUrl = { driver: 'inproc' } | { driver: 'rabbit'; hosts: RabbitHost[]; vhost: string };

function parseHost(text: string, url: string): RabbitHost {
  const at = text.lastIndexOf('@');
  const [userinfo, hostport] = at < 0 ? [undefined, text] : [text.slice(0, at), text.slice(at + 1)];
  const colon = userinfo?.indexOf(':') ?? -1;
  const username = userinfo === undefined ? 'guest' : decodeURIComponent(colon < 0 ? userinfo : userinfo.slice(0, colon));
  const password = userinfo === undefined ? 'guest' : colon < 0 ? '' : decodeURIComponent(userinfo.slice(colon + 1));
  const m = /^(\[[0-9a-fA-F:.]+\]|[^:[\]]+)(?::(\d+))?$/.exec(hostport);
  if (!m) throw new Error(`invalid [DEFAULT] transport_url: bad host '${hostport}' in ${redact(url)}`);
  const port = m[2] === undefined ? 5672 : Number(m[2]);
  if (port < 1 || port > 65535) throw new Error(`invalid [DEFAULT] transport_url: bad port in ${redact(url)}`);
  return { hostname: m[1].replace(/^\[(.*)\]$/, '$1'), port, username, password };
}

export function parseTransportUrl(text: string): TransportUrl {
  const url = text.trim();
  if (url === '' || /^inproc:\/\/\/?$/i.test(url)) return { driver: 'inproc' };
  const m = /^([a-z][a-z0-9+.-]*):\/\/([^/?#]*)(\/[^?#]*)?(\?[^#]*)?$/i.exec(url);
  if (!m) throw new Error(`invalid [DEFAULT] transport_url: ${redact(url)}`);
  if (m[1].toLowerCase() !== 'rabbit') {
    throw new Error(`unsupported [DEFAULT] transport_url driver '${m[1]}': use rabbit://… or inproc:// (or leave it empty)`);
  }
  if (!m[2]) throw new Error(`invalid [DEFAULT] transport_url: no host in ${redact(url)}`);
  const hosts = m[2].split(',').map((h) => parseHost(h.trim(), url));
  const vhost = decodeURIComponent((m[3] ?? '/').slice(1)) || '/';
  return { driver: 'rabbit', hosts, vhost };
}

/** The URL without passwords, for logs and error messages. */
export function redact(url: string): string {
  return url.replace(/(:\/\/|,)([^:@,/]*):[^@,/]*@/g, '$1$2:***@');
}

/** One host as a log-safe string: `user@host:port/vhost`. */
export function describeHost(host: RabbitHost, vhost: string): string {
  const name = host.hostname.includes(':') ? `[${host.hostname}]` : host.hostname;
  return `rabbit://${host.username}@${name}:${host.port}/${vhost === '/' ? '' : encodeURIComponent(vhost)}`;
}
