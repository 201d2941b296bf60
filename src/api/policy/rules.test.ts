import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { evaluate, parseRule, PolicyParseError, type Credentials, type RuleSet } from './rules.js';

const member: Credentials = { roles: ['member', 'reader'], project_id: 'p1', user_id: 'u1', is_admin: false };
const admin: Credentials = { roles: ['admin'], project_id: 'adm', user_id: 'u0', is_admin: true };
const rules: RuleSet = new Map([
  ['context_is_admin', parseRule('role:admin')],
  ['owner', parseRule('project_id:%(project_id)s')],
  ['admin_or_owner', parseRule('rule:context_is_admin or rule:owner')],
  ['shared', parseRule('field:networks:shared=True')],
]);
const check = (text: string, creds: Credentials, target: Record<string, unknown> = {}) => evaluate(parseRule(text), rules, creds, target);

describe('oslo.policy rules', () => {
  it('evaluates roles, named rules, targets, fields and the constants', () => {
    assert.equal(check('role:admin', admin), true);
    assert.equal(check('role:Admin', admin), true, 'roles compare without case');
    assert.equal(check('role:admin', member), false);
    assert.equal(check('rule:admin_or_owner', member, { project_id: 'p1' }), true);
    assert.equal(check('rule:admin_or_owner', member, { project_id: 'p2' }), false);
    assert.equal(check('rule:shared', member, { shared: true }), true);
    assert.equal(check('rule:shared', member, { shared: false }), false);
    assert.equal(check('@', member), true);
    assert.equal(check('', member), true);
    assert.equal(check('!', admin), false);
    assert.equal(check('rule:nonexistent', admin), false, 'an unknown rule denies');
    assert.equal(check('is_admin:True', admin), true);
    assert.equal(check("user_id:'u1'", member, { user_id: 'u1' }), true);
  });

  it('combines with and, or, not and parentheses, and precedence as oslo.policy', () => {
    assert.equal(check('role:admin or role:member and project_id:%(project_id)s', member, { project_id: 'p1' }), true);
    assert.equal(check('(role:admin or role:member) and project_id:%(project_id)s', member, { project_id: 'p2' }), false);
    assert.equal(check('not role:admin', member), true);
    assert.equal(check('not (role:admin or role:reader)', member), false);
    assert.equal(check('((role:member))', member), true);
  });

  it('refuses malformed rules with the reason', () => {
    for (const bad of ['role:admin or', '(role:admin', 'role:admin)', 'admin', 'field:networks', 'role:admin and and role:x'])
      assert.throws(() => parseRule(bad), PolicyParseError, bad);
  });
});
