/**
 * `<collection>_links` for paginated lists, as Neutron builds them: `next` unless a forward page
 * came back short, `previous` unless a reversed page came back short; each keeps the client's
 * query parameters in order and replaces `marker`/`page_reverse`.
 */
export interface Link {
  rel: 'next' | 'previous';
  href: string;
}

export function pageLinks(
  baseUrl: string,
  pairs: Array<[string, string]>,
  count: number,
  /** The ids of the first and last item of the page (or just one, or none). */
  ids: string[],
  limit: number | undefined,
  pageReverse: boolean,
): Link[] {
  if (!limit) return [];
  const kept = pairs.filter(([k]) => k !== 'marker' && k !== 'page_reverse');
  const href = (extra: Array<[string, string]>) => `${baseUrl}?${[...kept, ...extra].map(([k, v]) => `${encode(k)}=${encode(v)}`).join('&')}`;
  const links: Link[] = [];
  if (!(count < limit && !pageReverse)) links.push({ rel: 'next', href: href(ids.length ? [['marker', ids[ids.length - 1]]] : []) });
  if (!(count < limit && pageReverse))
    links.push({ rel: 'previous', href: href([...(ids.length ? ([['marker', ids[0]]] as Array<[string, string]>) : []), ['page_reverse', 'True']]) });
  return links;
}

const encode = (s: string) => encodeURIComponent(s).replace(/%2C/gi, ',').replace(/%3A/gi, ':');
