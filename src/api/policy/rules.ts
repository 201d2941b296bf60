/**
 * The oslo.policy rule language that Neutron operators write, parsed and evaluated: `@` (always),
 * `!` (never), `role:admin`, `rule:name`, `project_id:%(project_id)s` (a credential compared with
 * a target value or a literal), `field:networks:shared=True`, `is_admin:True`, joined with `and`,
 * `or`, `not` and parentheses. Pure: parsing throws PolicyParseError, evaluation has no I/O.
 */

export type Rule =
  | { kind: 'always' }
  | { kind: 'never' }
  | { kind: 'role'; role: string }
  | { kind: 'rule'; name: string }
  | { kind: 'field'; resource: string; field: string; value: string }
  | { kind: 'generic'; key: string; match: string }
  | { kind: 'not'; rule: Rule }
  | { kind: 'and'; rules: Rule[] }
  | { kind: 'or'; rules: Rule[] };

export class PolicyParseError extends Error {}

/** Who asks: the credentials a rule checks. */
export interface Credentials {
  roles: string[];
  project_id: string;
  user_id: string;
  is_admin: boolean;
}

/** Words split on white space, with leading '(' and trailing ')' peeled off, as oslo.policy does (so `%(x)s` stays whole). */
function tokenize(text: string): string[] {
  const out: string[] = [];
  for (let word of text.split(/\s+/).filter(Boolean)) {
    while (word.startsWith('(')) {
      out.push('(');
      word = word.slice(1);
    }
    let closing = 0;
    while (word.endsWith(')') && !/%\([^)]*\)$/.test(word)) {
      closing++;
      word = word.slice(0, -1);
    }
    if (word) out.push(word);
    for (let i = 0; i < closing; i++) out.push(')');
  }
  return out;
}

export function parseRule(text: string): Rule {
  const trimmed = text.trim();
  if (trimmed === '' || trimmed === '@') return { kind: 'always' };
  if (trimmed === '!') return { kind: 'never' };
  const tokens = tokenize(trimmed);
  let i = 0;
  const peek = () => tokens[i];
  const take = () => tokens[i++];

  const parseOr = (): Rule => {
    const rules = [parseAnd()];
    while (peek()?.toLowerCase() === 'or') {
      take();
      rules.push(parseAnd());
    }
    return rules.length === 1 ? rules[0] : { kind: 'or', rules };
  };
  const parseAnd = (): Rule => {
    const rules = [parseNot()];
    while (peek()?.toLowerCase() === 'and') {
      take();
      rules.push(parseNot());
    }
    return rules.length === 1 ? rules[0] : { kind: 'and', rules };
  };
  const parseNot = (): Rule => {
    if (peek()?.toLowerCase() === 'not') {
      take();
      return { kind: 'not', rule: parseNot() };
    }
    return parseAtom();
  };
  const parseAtom = (): Rule => {
    const t = take();
    if (t === undefined) throw new PolicyParseError(`unexpected end of rule '${text}'`);
    if (t === '(') {
      const r = parseOr();
      if (take() !== ')') throw new PolicyParseError(`missing ')' in rule '${text}'`);
      return r;
    }
    if (t === '@') return { kind: 'always' };
    if (t === '!') return { kind: 'never' };
    return parseCheck(t, text);
  };
  const rule = parseOr();
  if (i < tokens.length) throw new PolicyParseError(`unexpected '${tokens[i]}' in rule '${text}'`);
  return rule;
}

function parseCheck(token: string, text: string): Rule {
  const colon = token.indexOf(':');
  if (colon <= 0) throw new PolicyParseError(`'${token}' is not a check (kind:match) in rule '${text}'`);
  const kind = token.slice(0, colon);
  const match = token.slice(colon + 1);
  if (kind === 'role') return { kind: 'role', role: match.toLowerCase() };
  if (kind === 'rule') return { kind: 'rule', name: match };
  if (kind === 'field') {
    const m = /^([^:]+):(.+)=(.*)$/.exec(match);
    if (!m) throw new PolicyParseError(`'${token}' is not a field check (field:resource:attribute=value) in rule '${text}'`);
    return { kind: 'field', resource: m[1], field: m[2], value: m[3] };
  }
  return { kind: 'generic', key: kind, match };
}

export type RuleSet = Map<string, Rule>;

/** Evaluates `rule` for these credentials against a target (the resource, with `tenant_id`). */
export function evaluate(rule: Rule, rules: RuleSet, creds: Credentials, target: Record<string, unknown>, depth = 0): boolean {
  if (depth > 32) throw new PolicyParseError('policy rules refer to each other in a loop');
  switch (rule.kind) {
    case 'always':
      return true;
    case 'never':
      return false;
    case 'role':
      return creds.roles.some((r) => r.toLowerCase() === rule.role);
    case 'rule': {
      const named = rules.get(rule.name);
      return named ? evaluate(named, rules, creds, target, depth + 1) : false;
    }
    case 'field':
      return String(pyValue(target[rule.field])) === rule.value;
    case 'generic': {
      const wanted = rule.match.replace(/%\(([^)]+)\)s/g, (_, k) => String(target[k] ?? ''));
      const have = (creds as unknown as Record<string, unknown>)[rule.key] ?? target[rule.key];
      if (rule.match.startsWith("'") && rule.match.endsWith("'")) return String(target[rule.key]) === rule.match.slice(1, -1);
      return have !== undefined && String(pyValue(have)) === wanted;
    }
    case 'not':
      return !evaluate(rule.rule, rules, creds, target, depth + 1);
    case 'and':
      return rule.rules.every((r) => evaluate(r, rules, creds, target, depth + 1));
    case 'or':
      return rule.rules.some((r) => evaluate(r, rules, creds, target, depth + 1));
  }
}

/** Python's text of a value, as oslo.policy compares it (`True`, not `true`). */
const pyValue = (v: unknown) => (v === true ? 'True' : v === false ? 'False' : v);
