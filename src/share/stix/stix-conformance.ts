// STIX 2.1 conformance, field by field, for the object types Vantage exports and accepts over
// TAXII: the required properties, their types and ranges, id and timestamp forms, and which
// kinds of object each reference may name (STIX 2.1 sections 3, 4, 5, 6 and 7). The official
// JSON schemas were not obtainable as files here; the rules are written from the specification
// and checked in tests against the OASIS example bundles.

/** A problem found in one object: its id (or index) and what is wrong. */
export interface StixProblem {
  readonly object: string;
  readonly message: string;
}

type Json = Record<string, unknown>;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;
const TIMESTAMP = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:([0-5]\d|60)(\.\d+)?Z$/;
const TYPE_NAME = /^[a-z0-9][a-z0-9-]{1,248}[a-z0-9]$/;
const PROPERTY_NAME = /^[a-z0-9_]{3,250}$/;

/** Cyber-observable types (SCOs) of STIX 2.1 section 6. */
export const SCO_TYPES: ReadonlySet<string> = new Set([
  'artifact', 'autonomous-system', 'directory', 'domain-name', 'email-addr', 'email-message', 'file', 'ipv4-addr', 'ipv6-addr', 'mac-addr',
  'mutex', 'network-traffic', 'process', 'software', 'url', 'user-account', 'windows-registry-key', 'x509-certificate',
]);

/** Domain object types (SDOs) of STIX 2.1 section 4. */
export const SDO_TYPES: ReadonlySet<string> = new Set([
  'attack-pattern', 'campaign', 'course-of-action', 'grouping', 'identity', 'incident', 'indicator', 'infrastructure', 'intrusion-set', 'location',
  'malware', 'malware-analysis', 'note', 'observed-data', 'opinion', 'report', 'threat-actor', 'tool', 'vulnerability',
]);

const COMMON = ['type', 'spec_version', 'id', 'created_by_ref', 'created', 'modified', 'revoked', 'labels', 'confidence', 'lang', 'external_references', 'object_marking_refs', 'granular_markings', 'extensions'];
const SCO_COMMON = ['type', 'spec_version', 'id', 'object_marking_refs', 'granular_markings', 'defanged', 'extensions'];

/** Properties each type defines, beyond the common ones (for the strict check of our own output). */
const PROPERTIES: Record<string, readonly string[]> = {
  identity: ['name', 'description', 'roles', 'identity_class', 'sectors', 'contact_information'],
  indicator: ['name', 'description', 'indicator_types', 'pattern', 'pattern_type', 'pattern_version', 'valid_from', 'valid_until', 'kill_chain_phases'],
  malware: ['name', 'description', 'malware_types', 'is_family', 'aliases', 'kill_chain_phases', 'first_seen', 'last_seen', 'operating_system_refs', 'architecture_execution_envs', 'implementation_languages', 'capabilities', 'sample_refs'],
  'observed-data': ['first_observed', 'last_observed', 'number_observed', 'objects', 'object_refs'],
  relationship: ['relationship_type', 'description', 'source_ref', 'target_ref', 'start_time', 'stop_time'],
  sighting: ['description', 'first_seen', 'last_seen', 'count', 'sighting_of_ref', 'observed_data_refs', 'where_sighted_refs', 'summary'],
  'marking-definition': ['name', 'definition_type', 'definition'],
  'ipv4-addr': ['value', 'resolves_to_refs', 'belongs_to_refs'],
  'ipv6-addr': ['value', 'resolves_to_refs', 'belongs_to_refs'],
  'domain-name': ['value', 'resolves_to_refs'],
  'network-traffic': ['start', 'end', 'is_active', 'src_ref', 'dst_ref', 'src_port', 'dst_port', 'protocols', 'src_byte_count', 'dst_byte_count', 'src_packets', 'dst_packets', 'ipfix', 'src_payload_ref', 'dst_payload_ref', 'encapsulates_refs', 'encapsulated_by_ref'],
};

function isId(value: unknown, types?: readonly string[] | ((type: string) => boolean)): boolean {
  if (typeof value !== 'string') return false;
  const at = value.indexOf('--');
  if (at < 0) return false;
  const type = value.slice(0, at);
  if (!TYPE_NAME.test(type) || !UUID.test(value.slice(at + 2))) return false;
  if (types === undefined) return true;
  return typeof types === 'function' ? types(type) : types.includes(type);
}

function typeOfId(id: string): string {
  return id.slice(0, id.indexOf('--'));
}

function isTimestamp(value: unknown): value is string {
  return typeof value === 'string' && TIMESTAMP.test(value) && !Number.isNaN(Date.parse(value));
}

function isInt(value: unknown, min: number, max: number): boolean {
  return typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max;
}

function isStringList(value: unknown): boolean {
  return Array.isArray(value) && value.length > 0 && value.every((v) => typeof v === 'string');
}

function isIdList(value: unknown, types?: readonly string[] | ((type: string) => boolean)): boolean {
  return Array.isArray(value) && value.length > 0 && value.every((v) => isId(v, types));
}

/** Options: `strict` also rejects properties the type does not define (for our own exports). */
export interface StixCheckOptions {
  readonly strict?: boolean;
}

/** The problems of one STIX 2.1 object (empty when it conforms). */
export function checkStixObject(o: unknown, options: StixCheckOptions = {}): StixProblem[] {
  const problems: StixProblem[] = [];
  if (!o || typeof o !== 'object' || Array.isArray(o)) return [{ object: '?', message: 'not a JSON object' }];
  const obj = o as Json;
  const name = typeof obj.id === 'string' ? obj.id : String(obj.type ?? '?');
  const bad = (message: string) => problems.push({ object: name, message });
  const type = obj.type;
  if (typeof type !== 'string' || !TYPE_NAME.test(type)) {
    bad('type is missing or not a STIX type name');
    return problems;
  }
  if (!isId(obj.id) || typeOfId(String(obj.id)) !== type) bad(`id must be '${type}--<UUID>'`);
  for (const key of Object.keys(obj)) if (key !== 'id' && !PROPERTY_NAME.test(key)) bad(`property name '${key}' is not 3-250 of a-z, 0-9, _`);
  const sco = SCO_TYPES.has(type);
  const marking = type === 'marking-definition';
  if (sco) {
    if (obj.spec_version !== undefined && obj.spec_version !== '2.1') bad('spec_version of an SCO must be 2.1 when present');
    for (const k of ['created', 'modified', 'created_by_ref']) if (k in obj) bad(`an SCO has no ${k}`);
  } else {
    if (obj.spec_version !== '2.1') bad("spec_version must be '2.1'");
    if (!isTimestamp(obj.created)) bad('created must be a UTC timestamp');
    if (marking) {
      if ('modified' in obj) bad('a marking definition is not versioned: no modified');
    } else {
      if (!isTimestamp(obj.modified)) bad('modified must be a UTC timestamp');
      else if (isTimestamp(obj.created) && Date.parse(obj.modified) < Date.parse(obj.created)) bad('modified is before created');
    }
    if ('created_by_ref' in obj && !isId(obj.created_by_ref, ['identity'])) bad('created_by_ref must name an identity');
    if ('labels' in obj && !isStringList(obj.labels)) bad('labels must be a non-empty list of strings');
    if ('confidence' in obj && !isInt(obj.confidence, 0, 100)) bad('confidence must be an integer 0-100');
    if ('revoked' in obj && typeof obj.revoked !== 'boolean') bad('revoked must be a boolean');
  }
  if ('object_marking_refs' in obj && !isIdList(obj.object_marking_refs, ['marking-definition'])) bad('object_marking_refs must list marking-definition ids');
  if ('external_references' in obj) {
    const refs = obj.external_references;
    if (!Array.isArray(refs) || refs.length === 0) bad('external_references must be a non-empty list');
    else
      for (const r of refs as Json[]) {
        if (!r || typeof r.source_name !== 'string') bad('an external reference needs source_name');
        else if (r.description === undefined && r.url === undefined && r.external_id === undefined) bad('an external reference needs description, url or external_id');
      }
  }
  if ('extensions' in obj && (typeof obj.extensions !== 'object' || obj.extensions === null || Object.keys(obj.extensions).length === 0)) bad('extensions must be a non-empty dictionary');

  const req = (key: string, ok: (v: unknown) => boolean, what: string) => {
    if (!(key in obj)) bad(`${key} is required`);
    else if (!ok(obj[key])) bad(`${key} must be ${what}`);
  };
  const opt = (key: string, ok: (v: unknown) => boolean, what: string) => {
    if (key in obj && !ok(obj[key])) bad(`${key} must be ${what}`);
  };
  const str = (v: unknown) => typeof v === 'string' && v !== '';
  const order = (a: string, b: string, strictly: boolean) => {
    if (isTimestamp(obj[a]) && isTimestamp(obj[b])) {
      const d = Date.parse(obj[b] as string) - Date.parse(obj[a] as string);
      if (strictly ? d <= 0 : d < 0) bad(`${b} must be ${strictly ? 'after' : 'at or after'} ${a}`);
    }
  };
  const sdoRef = (t: string) => SDO_TYPES.has(t);
  switch (type) {
    case 'identity':
      req('name', str, 'a string');
      opt('identity_class', str, 'a string');
      break;
    case 'indicator':
      req('pattern', str, 'a string');
      req('pattern_type', str, 'a string');
      req('valid_from', isTimestamp, 'a timestamp');
      opt('valid_until', isTimestamp, 'a timestamp');
      order('valid_from', 'valid_until', true);
      opt('indicator_types', isStringList, 'a non-empty list of strings');
      opt('pattern_version', str, 'a string');
      break;
    case 'malware':
      req('is_family', (v) => typeof v === 'boolean', 'a boolean');
      if (obj.is_family === true) req('name', str, 'a string (is_family is true)');
      break;
    case 'observed-data':
      req('first_observed', isTimestamp, 'a timestamp');
      req('last_observed', isTimestamp, 'a timestamp');
      order('first_observed', 'last_observed', false);
      req('number_observed', (v) => isInt(v, 1, 999_999_999), 'an integer 1-999,999,999');
      if (('objects' in obj) === ('object_refs' in obj)) bad('exactly one of objects (deprecated) and object_refs is required');
      opt('object_refs', (v) => isIdList(v, (t) => SCO_TYPES.has(t) || t === 'relationship' || t === 'sighting' || !SDO_TYPES.has(t)), 'a non-empty list of SCO or SRO ids');
      break;
    case 'relationship':
      req('relationship_type', (v) => typeof v === 'string' && /^[a-z0-9-]+$/.test(v), 'lower-case words joined by -');
      req('source_ref', (v) => isId(v) && !['bundle', 'marking-definition', 'relationship', 'sighting', 'language-content'].includes(typeOfId(String(v))), 'an SDO or SCO id');
      req('target_ref', (v) => isId(v) && !['bundle', 'marking-definition', 'relationship', 'sighting', 'language-content'].includes(typeOfId(String(v))), 'an SDO or SCO id');
      opt('start_time', isTimestamp, 'a timestamp');
      opt('stop_time', isTimestamp, 'a timestamp');
      order('start_time', 'stop_time', true);
      break;
    case 'sighting':
      req('sighting_of_ref', (v) => isId(v, sdoRef), 'an SDO id');
      opt('observed_data_refs', (v) => isIdList(v, ['observed-data']), 'a list of observed-data ids');
      opt('where_sighted_refs', (v) => isIdList(v, ['identity', 'location']), 'a list of identity or location ids');
      opt('count', (v) => isInt(v, 0, 999_999_999), 'an integer 0-999,999,999');
      opt('first_seen', isTimestamp, 'a timestamp');
      opt('last_seen', isTimestamp, 'a timestamp');
      order('first_seen', 'last_seen', false);
      opt('summary', (v) => typeof v === 'boolean', 'a boolean');
      break;
    case 'marking-definition':
      if ('definition_type' in obj || 'definition' in obj) {
        req('definition_type', str, 'a string');
        req('definition', (v) => typeof v === 'object' && v !== null, 'an object');
      } else if (!('extensions' in obj)) bad('a marking definition needs definition_type and definition, or an extension');
      break;
    case 'ipv4-addr':
      req('value', (v) => typeof v === 'string' && /^(\d{1,3}\.){3}\d{1,3}(\/\d{1,2})?$/.test(v), 'an IPv4 address or CIDR');
      break;
    case 'ipv6-addr':
      req('value', (v) => typeof v === 'string' && /^[0-9a-fA-F:.]+(\/\d{1,3})?$/.test(v) && v.includes(':'), 'an IPv6 address or CIDR');
      break;
    case 'domain-name':
      req('value', str, 'a string');
      opt('resolves_to_refs', (v) => isIdList(v, ['ipv4-addr', 'ipv6-addr', 'domain-name']), 'a list of address or domain ids');
      break;
    case 'network-traffic': {
      req('protocols', (v) => isStringList(v) && (v as string[]).every((p) => p === p.toLowerCase()), 'a non-empty list of lower-case protocol names');
      if (!('src_ref' in obj) && !('dst_ref' in obj)) bad('src_ref or dst_ref is required');
      for (const k of ['src_ref', 'dst_ref']) opt(k, (v) => isId(v, ['ipv4-addr', 'ipv6-addr', 'mac-addr', 'domain-name']), 'an address or domain id');
      for (const k of ['src_port', 'dst_port']) opt(k, (v) => isInt(v, 0, 65535), 'an integer 0-65535');
      order('start', 'end', false);
      break;
    }
  }
  if (options.strict) {
    const known = new Set([...(sco ? SCO_COMMON : COMMON), ...(PROPERTIES[type] ?? [])]);
    if (!PROPERTIES[type]) bad(`type '${type}' is not one Vantage exports`);
    for (const key of Object.keys(obj)) if (!known.has(key)) bad(`${type} has no property '${key}'`);
  }
  return problems;
}

/**
 * The problems of a bundle: its own form, each object's, duplicate ids (the same id and
 * version twice), and, with `resolveRefs`, references to objects the bundle does not hold.
 */
export function checkStixBundle(bundle: unknown, options: StixCheckOptions & { resolveRefs?: boolean } = {}): StixProblem[] {
  const problems: StixProblem[] = [];
  if (!bundle || typeof bundle !== 'object') return [{ object: 'bundle', message: 'not a JSON object' }];
  const b = bundle as Json;
  if (b.type !== 'bundle') problems.push({ object: 'bundle', message: "type must be 'bundle'" });
  if (!isId(b.id, ['bundle'])) problems.push({ object: 'bundle', message: "id must be 'bundle--<UUID>'" });
  if ('spec_version' in b) problems.push({ object: 'bundle', message: 'a STIX 2.1 bundle has no spec_version' });
  if (!Array.isArray(b.objects) || b.objects.length === 0) {
    problems.push({ object: 'bundle', message: 'objects must be a non-empty list' });
    return problems;
  }
  const seen = new Set<string>();
  const ids = new Set<string>();
  for (const o of b.objects as Json[]) {
    problems.push(...checkStixObject(o, options));
    const key = `${String(o?.id)}@${String(o?.modified ?? o?.created ?? '')}`;
    if (seen.has(key)) problems.push({ object: String(o?.id), message: 'the same object version appears twice' });
    seen.add(key);
    ids.add(String(o?.id));
  }
  if (options.resolveRefs) {
    for (const o of b.objects as Json[]) {
      for (const [key, value] of Object.entries(o)) {
        const refs = key.endsWith('_ref') ? [value] : key.endsWith('_refs') && Array.isArray(value) ? value : [];
        for (const r of refs) if (typeof r === 'string' && !ids.has(r)) problems.push({ object: String(o.id), message: `${key} names ${r}, which the bundle does not hold` });
      }
    }
  }
  return problems;
}
