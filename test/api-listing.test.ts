/** Listing like Neutron on every database: filters, fields, sorting, pagination links, tags. */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { DIALECTS, skipReason } from './helpers/dialects.js';
import { serverFixture } from './helpers/server.js';

for (const dialect of DIALECTS) {
  describe(`listing on ${dialect.name}`, { skip: await skipReason(dialect) }, () => {
    const srv = serverFixture(() => dialect.create());
    const names = ['delta', 'alpha', 'echo', 'charlie', 'bravo'];
    const ids: Record<string, string> = {};
    before(async () => {
      await srv.start();
      for (const [i, name] of names.entries()) {
        const n = await srv.api.post('/v2.0/networks', { network: { name, admin_state_up: i % 2 === 0, description: 'listed' } });
        ids[name] = n.body.network.id;
      }
      await srv.api.put(`/v2.0/networks/${ids.alpha}/tags`, { tags: ['red', 'blue'] });
      await srv.api.put(`/v2.0/networks/${ids.bravo}/tags`, { tags: ['red'] });
      await srv.api.put(`/v2.0/networks/${ids.charlie}/tags/blue`);
    });
    after(() => srv.stop());
    const namesOf = (body: { networks: Array<{ name: string }> }) => body.networks.map((n) => n.name);

    it('filters by attribute; a repeated key means OR; booleans convert', async () => {
      const one = await srv.api.get('/v2.0/networks?name=alpha');
      assert.deepEqual(namesOf(one.body), ['alpha']);
      const two = await srv.api.get('/v2.0/networks?name=alpha&name=echo&sort_key=name&sort_dir=asc');
      assert.deepEqual(namesOf(two.body), ['alpha', 'echo']);
      const up = await srv.api.get('/v2.0/networks?description=listed&admin_state_up=True&sort_key=name&sort_dir=asc');
      assert.deepEqual(namesOf(up.body), ['bravo', 'delta', 'echo']);
      const bad = await srv.api.get('/v2.0/networks?admin_state_up=maybe');
      assert.equal(bad.status, 400);
      assert.equal(bad.body.NeutronError.message, "Invalid input for operation: 'maybe' cannot be converted to boolean.");
      const unknown = await srv.api.get('/v2.0/networks?foo=bar');
      assert.equal(unknown.status, 400);
      assert.equal(unknown.body.NeutronError.message, "['foo'] is invalid attribute for filtering");
      const json = await srv.api.get('/v2.0/networks.json?name=bravo');
      assert.deepEqual(namesOf(json.body), ['bravo']);
    });

    it('returns only the requested fields', async () => {
      const r = await srv.api.get(`/v2.0/networks?name=alpha&fields=id&fields=name`);
      assert.deepEqual(r.body.networks, [{ id: ids.alpha, name: 'alpha' }]);
      const show = await srv.api.get(`/v2.0/networks/${ids.alpha}?fields=tags&fields=revision_number`);
      assert.deepEqual(Object.keys(show.body.network).sort(), ['revision_number', 'tags']);
      assert.deepEqual(show.body.network.tags, ['blue', 'red']);
    });

    it('sorts and refuses invalid sort parameters', async () => {
      const desc = await srv.api.get('/v2.0/networks?description=listed&sort_key=name&sort_dir=desc');
      assert.deepEqual(namesOf(desc.body), ['echo', 'delta', 'charlie', 'bravo', 'alpha']);
      const two = await srv.api.get('/v2.0/networks?description=listed&sort_key=admin_state_up&sort_dir=asc&sort_key=name&sort_dir=desc');
      assert.deepEqual(namesOf(two.body), ['charlie', 'alpha', 'echo', 'delta', 'bravo']);
      const mismatch = await srv.api.get('/v2.0/networks?sort_key=name');
      assert.equal(mismatch.body.NeutronError.message, 'The number of sort_keys and sort_dirs must be same');
      const badKey = await srv.api.get('/v2.0/networks?sort_key=bogus&sort_dir=asc');
      assert.equal(badKey.body.NeutronError.message, "['bogus'] is invalid attribute for sort_keys");
      const badDir = await srv.api.get('/v2.0/networks?sort_key=name&sort_dir=sideways');
      assert.equal(badDir.body.NeutronError.message, "['sideways'] is invalid value for sort_dirs, valid value is 'asc' and 'desc'");
    });

    it('pages with limit and marker, forward and reversed, through every item exactly once', async () => {
      const seen: string[] = [];
      let url: string | undefined = '/v2.0/networks?description=listed&sort_key=name&sort_dir=asc&limit=2';
      let pages = 0;
      while (url && pages < 10) {
        const r = await srv.api.get(url);
        assert.equal(r.status, 200);
        seen.push(...namesOf(r.body));
        const next = (r.body.networks_links ?? []).find((l: { rel: string }) => l.rel === 'next');
        url = r.body.networks.length ? next?.href.replace(srv.url, '') : undefined;
        pages++;
      }
      assert.deepEqual(seen, ['alpha', 'bravo', 'charlie', 'delta', 'echo']);
      const first = await srv.api.get('/v2.0/networks?description=listed&sort_key=name&sort_dir=asc&limit=2');
      assert.deepEqual(
        first.body.networks_links.map((l: { rel: string }) => l.rel),
        ['next', 'previous'],
      );
      assert.equal(
        first.body.networks_links[0].href,
        `${srv.url}/v2.0/networks?description=listed&sort_key=name&sort_dir=asc&limit=2&marker=${ids.bravo}`,
      );
      const back = await srv.api.get(`/v2.0/networks?description=listed&sort_key=name&sort_dir=asc&limit=2&marker=${ids.delta}&page_reverse=True`);
      assert.deepEqual(namesOf(back.body), ['bravo', 'charlie']);
      const last = await srv.api.get(`/v2.0/networks?description=listed&sort_key=name&sort_dir=asc&limit=2&marker=${ids.delta}`);
      assert.deepEqual(namesOf(last.body), ['echo']);
      assert.deepEqual(last.body.networks_links.map((l: { rel: string }) => l.rel), ['previous'], 'a short forward page has no next link');
    });

    it('refuses bad limits and unknown markers', async () => {
      const neg = await srv.api.get('/v2.0/networks?limit=-1');
      assert.equal(neg.status, 400);
      assert.deepEqual(neg.body.NeutronError, { type: 'BadRequest', message: "Bad limit request: Limit must be an integer 0 or greater and not '-1'.", detail: '' });
      const abc = await srv.api.get('/v2.0/networks?limit=abc');
      assert.equal(abc.status, 400);
      const zero = await srv.api.get('/v2.0/networks?limit=0&description=listed');
      assert.equal(zero.body.networks.length, 5, 'limit=0 means no limit');
      assert.equal(zero.body.networks_links, undefined);
      const marker = await srv.api.get('/v2.0/networks?limit=2&marker=11111111-2222-3333-4444-555555555555');
      assert.equal(marker.status, 404);
      assert.equal(marker.body.NeutronError.type, 'NetworkNotFound');
    });

    it('filters by tags, tags-any, not-tags and not-tags-any', async () => {
      const q = async (f: string) => namesOf((await srv.api.get(`/v2.0/networks?description=listed&sort_key=name&sort_dir=asc&${f}`)).body);
      assert.deepEqual(await q('tags=red,blue'), ['alpha']);
      assert.deepEqual(await q('tags=red&tags=blue'), ['alpha']);
      assert.deepEqual(await q('tags-any=red,blue'), ['alpha', 'bravo', 'charlie']);
      assert.deepEqual(await q('not-tags=red,blue'), ['bravo', 'charlie', 'delta', 'echo']);
      assert.deepEqual(await q('not-tags-any=red,blue'), ['delta', 'echo']);
      assert.deepEqual(await q('tags=blue&not-tags=red'), ['charlie']);
    });

    it('manages tags through the tags sub-resource and bumps the revision', async () => {
      const before = (await srv.api.get(`/v2.0/networks/${ids.echo}`)).body.network;
      const put = await srv.api.put(`/v2.0/networks/${ids.echo}/tags`, { tags: ['a', 'b'] });
      assert.equal(put.status, 200);
      assert.deepEqual(put.body, { tags: ['a', 'b'] });
      assert.equal((await srv.api.put(`/v2.0/networks/${ids.echo}/tags/c`)).status, 201);
      assert.deepEqual((await srv.api.get(`/v2.0/networks/${ids.echo}/tags`)).body.tags, ['a', 'b', 'c']);
      assert.equal((await srv.api.get(`/v2.0/networks/${ids.echo}/tags/a`)).status, 204);
      const missing = await srv.api.get(`/v2.0/networks/${ids.echo}/tags/zzz`);
      assert.deepEqual(missing.body, { NeutronError: { type: 'TagNotFound', message: 'Tag zzz could not be found.', detail: '' } });
      assert.equal((await srv.api.del(`/v2.0/networks/${ids.echo}/tags/a`)).status, 204);
      assert.equal((await srv.api.del(`/v2.0/networks/${ids.echo}/tags/a`)).status, 404);
      const dupes = await srv.api.put(`/v2.0/networks/${ids.echo}/tags`, { tags: ['x', 'x'] });
      assert.equal(dupes.body.NeutronError.message, "Invalid input for operation: Duplicate items in the list: 'x'.");
      const notList = await srv.api.put(`/v2.0/networks/${ids.echo}/tags`, { tags: 'a' });
      assert.equal(notList.body.NeutronError.message, "Invalid input for operation: 'a' is not a list.");
      const ghost = await srv.api.put('/v2.0/networks/11111111-2222-3333-4444-555555555555/tags/a');
      assert.equal(ghost.status, 404);
      assert.equal(ghost.body.NeutronError.type, 'TagResourceNotFound');
      const after = (await srv.api.get(`/v2.0/networks/${ids.echo}`)).body.network;
      assert.deepEqual(after.tags, ['b', 'c']);
      assert.ok(after.revision_number > before.revision_number);
      assert.equal((await srv.api.del(`/v2.0/networks/${ids.echo}/tags`)).status, 204);
      assert.deepEqual((await srv.api.get(`/v2.0/networks/${ids.echo}`)).body.network.tags, []);
      const inPost = await srv.api.post('/v2.0/networks', { network: { tags: ['a'] } });
      assert.equal(inPost.body.NeutronError.message, "Attribute 'tags' not allowed in POST");
    });

    it('streams long lists whole and in order, with links', async () => {
      const n = (await srv.api.post('/v2.0/networks', { network: { name: 'many' } })).body.network;
      assert.equal((await srv.api.put('/v2.0/quotas/fake_project_id', { quota: { port: 1000 } })).status, 200, 'more than the default 500 ports');
      const bulk = await srv.api.post('/v2.0/ports', { ports: Array.from({ length: 700 }, (_, i) => ({ network_id: n.id, name: `p${String(i).padStart(3, '0')}` })) });
      assert.equal(bulk.status, 201);
      assert.equal(bulk.body.ports.length, 700);
      const all = await srv.api.get(`/v2.0/ports?network_id=${n.id}&sort_key=name&sort_dir=asc&fields=name`);
      assert.equal(all.status, 200);
      assert.deepEqual(all.body.ports.map((p: { name: string }) => p.name), Array.from({ length: 700 }, (_, i) => `p${String(i).padStart(3, '0')}`));
      assert.equal(all.body.ports_links, undefined);
      const page = await srv.api.get(`/v2.0/ports?network_id=${n.id}&sort_key=name&sort_dir=asc&fields=id&fields=name&limit=600`);
      assert.equal(page.body.ports.length, 600);
      const next = page.body.ports_links.find((l: { rel: string }) => l.rel === 'next');
      assert.ok(next.href.endsWith(`&marker=${page.body.ports[599].id}`));
      const rest = await srv.api.get(next.href.replace(srv.url, ''));
      assert.deepEqual(rest.body.ports.map((p: { name: string }) => p.name), Array.from({ length: 100 }, (_, i) => `p${600 + i}`));
    });

    it('filters ports by fixed IP and subnet', async () => {
      const n = (await srv.api.post('/v2.0/networks', { network: {} })).body.network;
      const s = (await srv.api.post('/v2.0/subnets', { subnet: { network_id: n.id, cidr: '10.9.0.0/24', ip_version: 4 } })).body.subnet;
      const p1 = (await srv.api.post('/v2.0/ports', { port: { network_id: n.id, fixed_ips: [{ ip_address: '10.9.0.31' }] } })).body.port;
      await srv.api.post('/v2.0/ports', { port: { network_id: n.id, fixed_ips: [{ ip_address: '10.9.0.42' }] } });
      const byIp = await srv.api.get('/v2.0/ports?fixed_ips=ip_address%3D10.9.0.31');
      assert.deepEqual(byIp.body.ports.map((p: { id: string }) => p.id), [p1.id]);
      const bySubnet = await srv.api.get(`/v2.0/ports?fixed_ips=subnet_id%3D${s.id}`);
      assert.equal(bySubnet.body.ports.length, 2);
      const substr = await srv.api.get('/v2.0/ports?fixed_ips=ip_address_substr%3D.9.0.3');
      assert.deepEqual(substr.body.ports.map((p: { id: string }) => p.id), [p1.id]);
      const byNet = await srv.api.get(`/v2.0/ports?network_id=${n.id}&fields=id`);
      assert.equal(byNet.body.ports.length, 2);
      const bySubnets = await srv.api.get(`/v2.0/networks?subnets=${s.id}&fields=id`);
      assert.deepEqual(bySubnets.body.networks, [{ id: n.id }]);
    });
  });
}
