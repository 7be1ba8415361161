// The investigation notebook over HTTP: GET /api/cases, GET /api/cases/{name} and GET
// /api/cases/{name}/export?format=md|json (viewer); POST /api/cases (open or retitle), DELETE
// /api/cases/{name}, POST /api/cases/{name}/items (pin an entity, query, finding or note) and
// DELETE /api/cases/{name}/items/{item} (analyst). Changes and exports are audited. A caller
// limited to some networks sees only the cases it opened, and may pin only findings it may see.

import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { VantageError } from '../../core/errors.js';
import { FindingsRepository } from '../../detect/findings-repository.js';
import { parseEntity } from '../../pivot/entity.js';
import { ApiError, errorResponse } from '../api-error.js';
import { audit, principalOf, requirePermission, type ApiDeps, type ApiEnv } from '../api-context.js';
import type { AuditAction } from '../audit/audit-log.js';
import { AUTH_ERRORS, ERRORS, TimeSchema } from '../api-schemas.js';
import { ROLES, type Principal } from '../auth/principal.js';
import { caseMarkdown } from '../cases/case-markdown.js';
import { CASE_ITEM_TYPES, CaseNotebook, type CaseActor, type CasePin } from '../cases/case-notebook.js';
import { findingInScope } from './findings-routes.js';
import { exactJson, timeBounds } from './respond.js';

const ItemSchema = z
  .object({
    id: z.number().int().openapi({ description: '1, 2, 3… in pinning order' }),
    type: z.enum(CASE_ITEM_TYPES),
    value: z.string().openapi({ description: 'the entity (canonical), the query text, the finding id or the note' }),
    note: z.string(),
    from: z.string().optional(),
    to: z.string().optional(),
    finding: z.object({ kind: z.string(), subkind: z.string(), severity: z.string(), summary: z.string() }).optional().openapi({ description: 'the finding as it was when pinned' }),
    addedBy: z.string(),
    addedAt: z.string(),
  })
  .openapi('CaseItem');

const CaseSchema = z
  .object({
    name: z.string().openapi({ example: 'partner-acme-2026-10' }),
    title: z.string(),
    description: z.string(),
    owner: z.string(),
    ownerKind: z.enum(['user', 'token']),
    ownerScoped: z.boolean().openapi({ description: 'the owner is limited to some networks' }),
    createdAt: z.string(),
    updatedAt: z.string(),
    items: z.array(ItemSchema),
  })
  .openapi('Case');

const CaseSummarySchema = z
  .object({ name: z.string(), title: z.string(), owner: z.string(), createdAt: z.string(), updatedAt: z.string(), items: z.number().int() })
  .openapi('CaseSummary');

const CaseInputSchema = z
  .object({
    name: z.string().max(64).openapi({ example: 'partner-acme-2026-10', description: 'letters, digits, . _ -' }),
    title: z.string().max(200).optional().openapi({ description: 'default: the name' }),
    description: z.string().max(10_000).optional(),
  })
  .strict()
  .openapi('CaseInput');

const PinSchema = z
  .object({
    type: z.enum(CASE_ITEM_TYPES),
    value: z.string().min(1).max(10_000).openapi({ example: '10.1.0.7', description: 'entity: an address, network, domain or AS; query: its text; finding: its id; note: the text' }),
    note: z.string().max(10_000).optional(),
    from: TimeSchema.optional().openapi({ description: "a query's window start" }),
    to: TimeSchema.optional().openapi({ description: "a query's window end" }),
  })
  .strict()
  .openapi('CasePin');

const NameParams = z.object({ name: z.string().max(64).openapi({ example: 'partner-acme-2026-10' }) });
const ItemParams = NameParams.extend({ item: z.coerce.number().int().min(1).openapi({ example: 1 }) });

const routes = {
  list: createRoute({
    method: 'get',
    path: '/api/cases',
    tags: ['cases'],
    summary: 'Cases, by name (viewer; a scoped caller: the cases it opened)',
    responses: { 200: { description: 'Cases', content: { 'application/json': { schema: z.object({ cases: z.array(CaseSummarySchema) }) } } }, ...AUTH_ERRORS },
  }),
  get: createRoute({
    method: 'get',
    path: '/api/cases/{name}',
    tags: ['cases'],
    summary: 'One case with its items (viewer)',
    request: { params: NameParams },
    responses: { 200: { description: 'The case', content: { 'application/json': { schema: CaseSchema } } }, ...AUTH_ERRORS, 404: ERRORS[404] },
  }),
  put: createRoute({
    method: 'post',
    path: '/api/cases',
    tags: ['cases'],
    summary: 'Open a case, or change the title and description of one (analyst); its items stay',
    request: { body: { required: true, content: { 'application/json': { schema: CaseInputSchema } } } },
    responses: {
      200: { description: 'The case changed', content: { 'application/json': { schema: CaseSchema } } },
      201: { description: 'The case opened', content: { 'application/json': { schema: CaseSchema } } },
      400: ERRORS[400],
      ...AUTH_ERRORS,
      409: ERRORS[409],
    },
  }),
  remove: createRoute({
    method: 'delete',
    path: '/api/cases/{name}',
    tags: ['cases'],
    summary: 'Remove a case with its items (analyst)',
    request: { params: NameParams },
    responses: { 200: { description: 'Removed', content: { 'application/json': { schema: z.object({ removed: z.string() }) } } }, ...AUTH_ERRORS, 404: ERRORS[404] },
  }),
  pin: createRoute({
    method: 'post',
    path: '/api/cases/{name}/items',
    tags: ['cases'],
    summary: 'Pin an entity, a query (checked; with its window), a finding (one the caller may see) or a note (analyst)',
    request: { params: NameParams, body: { required: true, content: { 'application/json': { schema: PinSchema } } } },
    responses: {
      201: { description: 'The case with the new item', content: { 'application/json': { schema: z.object({ item: ItemSchema, case: CaseSchema }) } } },
      400: ERRORS[400],
      ...AUTH_ERRORS,
      404: ERRORS[404],
    },
  }),
  unpin: createRoute({
    method: 'delete',
    path: '/api/cases/{name}/items/{item}',
    tags: ['cases'],
    summary: 'Remove an item from a case (analyst)',
    request: { params: ItemParams },
    responses: { 200: { description: 'The case without the item', content: { 'application/json': { schema: CaseSchema } } }, 400: ERRORS[400], ...AUTH_ERRORS, 404: ERRORS[404] },
  }),
  export: createRoute({
    method: 'get',
    path: '/api/cases/{name}/export',
    tags: ['cases'],
    summary: 'A case as a Markdown or JSON download (viewer; audited)',
    request: { params: NameParams, query: z.object({ format: z.enum(['md', 'json']).optional().openapi({ description: 'default md' }) }) },
    responses: {
      200: {
        description: 'The case as a file',
        content: { 'text/markdown': { schema: z.string() }, 'application/json': { schema: CaseSchema } },
      },
      400: ERRORS[400],
      ...AUTH_ERRORS,
      404: ERRORS[404],
    },
  }),
};

const actorOf = (p: Principal): CaseActor => ({ name: p.name, kind: p.kind, scoped: p.ranges.length > 0 });

/** The caller if analyst or above (cases are written by those who investigate). */
function requireAnalyst(c: Context<ApiEnv>): Principal {
  const p = principalOf(c);
  if (ROLES.indexOf(p.role) < ROLES.indexOf('analyst')) throw new ApiError('AUTH_FORBIDDEN', `the ${p.role} role may not do this (needs analyst)`);
  return p;
}

/** The notebook's USAGE errors (bad name, name taken, too many items) are the request's fault. */
function asRequestError(err: unknown): unknown {
  if (err instanceof VantageError && err.code === 'USAGE') return new ApiError(/is taken/.test(err.message) ? 'CONFLICT' : 'REQUEST_INVALID', err.message);
  return err;
}

/** Registers the case routes. */
export function registerCaseRoutes(app: OpenAPIHono<ApiEnv>, deps: ApiDeps): void {
  const notebook = new CaseNotebook(deps.store);
  const findings = new FindingsRepository(deps.store);
  let findingsReady: Promise<void> | undefined;

  /** Runs a change and audits it, success or failure. */
  const audited = async <T>(c: Context<ApiEnv>, action: AuditAction, target: string, work: () => Promise<T>, detail: (r: T) => Record<string, unknown> = () => ({})): Promise<T> => {
    const started = performance.now();
    try {
      const result = await work();
      await audit(c, deps, { action, target, detail: detail(result), rows: 1, status: 'ok', elapsedMs: performance.now() - started });
      return result;
    } catch (err) {
      const mapped = asRequestError(err);
      const { body } = errorResponse(mapped);
      await audit(c, deps, { action, target, detail: {}, status: 'error', errorCode: body.error.code, elapsedMs: performance.now() - started });
      throw mapped;
    }
  };

  /** Checks a pin for its type and fills in what is kept with it (canonical entity, the finding). */
  const checkPin = async (p: Principal, body: z.infer<typeof PinSchema>): Promise<CasePin> => {
    const base = { type: body.type, value: body.value, ...(body.note ? { note: body.note } : {}) };
    if ((body.from || body.to) && body.type !== 'query') throw new ApiError('REQUEST_INVALID', 'only a query pin has a time window (from, to)', { field: 'from' });
    switch (body.type) {
      case 'entity': {
        if (body.value.length > 500) throw new ApiError('REQUEST_INVALID', 'an entity is at most 500 characters', { field: 'value' });
        try {
          return { ...base, value: parseEntity(body.value).value };
        } catch (err) {
          throw new ApiError('REQUEST_INVALID', (err as Error).message, { field: 'value' });
        }
      }
      case 'query': {
        // The query is checked as its author would run it (bad queries are 400s with their column).
        deps.queries.check(p, body.value);
        const bounds = timeBounds(body.from, body.to);
        if (bounds.from !== undefined && bounds.to !== undefined && bounds.from >= bounds.to) throw new ApiError('REQUEST_INVALID', "'from' must be before 'to'", { field: 'from' });
        const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());
        return { ...base, value: body.value.trim(), ...(bounds.from !== undefined ? { from: iso(bounds.from) } : {}), ...(bounds.to !== undefined ? { to: iso(bounds.to) } : {}) };
      }
      case 'finding': {
        await (findingsReady ??= findings.ensureTables().catch((err: unknown) => {
          findingsReady = undefined;
          throw err;
        }));
        const id = body.value.trim().toLowerCase();
        let f;
        try {
          f = await findings.get(id);
        } catch (err) {
          if (err instanceof VantageError && err.code === 'USAGE') throw new ApiError('REQUEST_INVALID', err.message, { field: 'value' });
          throw err;
        }
        // A finding out of the caller's networks is missing, as on GET /api/findings/{id}.
        if (!findingInScope(f, p.ranges)) throw new ApiError('NOT_FOUND', `no finding with id ${id}`);
        return { ...base, value: f.id, finding: { kind: f.kind, subkind: f.subkind, severity: f.severity, summary: f.summary } };
      }
      case 'note':
        return base;
    }
  };

  app.openapi(routes.list, async (c) => {
    const p = requirePermission(c, 'read');
    const cases = (await notebook.list(actorOf(p))).map((k) => ({ name: k.name, title: k.title, owner: k.owner, createdAt: k.createdAt, updatedAt: k.updatedAt, items: k.items.length }));
    return exactJson(c, { cases });
  });

  app.openapi(routes.get, async (c) => {
    const p = requirePermission(c, 'read');
    return exactJson(c, await notebook.get(c.req.valid('param').name, actorOf(p)));
  });

  app.openapi(routes.put, async (c) => {
    const p = requireAnalyst(c);
    const body = c.req.valid('json');
    const done = await audited(c, 'case.put', body.name, () => notebook.put(body, actorOf(p)), (r) => ({ created: r.created, title: r.case.title }));
    return exactJson(c, done.case, done.created ? 201 : 200);
  });

  app.openapi(routes.remove, async (c) => {
    const p = requireAnalyst(c);
    const { name } = c.req.valid('param');
    await audited(c, 'case.remove', name, () => notebook.remove(name, actorOf(p)), (k) => ({ owner: k.owner, items: k.items.length }));
    return exactJson(c, { removed: name });
  });

  app.openapi(routes.pin, async (c) => {
    const p = requireAnalyst(c);
    const { name } = c.req.valid('param');
    const body = c.req.valid('json');
    const done = await audited(
      c,
      'case.pin',
      name,
      async () => notebook.pin(name, await checkPin(p, body), actorOf(p)),
      (r) => ({ item: r.item.id, type: r.item.type, value: r.item.type === 'note' ? r.item.value.slice(0, 200) : r.item.value }),
    );
    return exactJson(c, done, 201);
  });

  app.openapi(routes.unpin, async (c) => {
    const p = requireAnalyst(c);
    const { name, item } = c.req.valid('param');
    const done = await audited(c, 'case.unpin', name, () => notebook.unpin(name, item, actorOf(p)), (r) => ({ item: r.item.id, type: r.item.type }));
    return exactJson(c, done.case);
  });

  app.openapi(routes.export, async (c) => {
    const p = requirePermission(c, 'read');
    const { name } = c.req.valid('param');
    const format = c.req.valid('query').format ?? 'md';
    const found = await audited(c, 'case.export', name, () => notebook.get(name, actorOf(p)), (k) => ({ format, items: k.items.length }));
    const file = `vantage-case-${found.name}.${format}`;
    const headers = { 'content-disposition': `attachment; filename="${file}"` };
    if (format === 'json') return c.body(`${JSON.stringify(found, null, 2)}\n`, 200, { ...headers, 'content-type': 'application/json; charset=utf-8' }) as never;
    return c.body(caseMarkdown(found), 200, { ...headers, 'content-type': 'text/markdown; charset=utf-8' }) as never;
  });
}
