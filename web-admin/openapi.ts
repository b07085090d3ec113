// The OpenAPI document, built from the same zod schemas that validate requests, so it cannot drift from them.
import { z } from 'zod';
import { Display, Floor, Person, Room, Service, Unit, LIMITS } from '../controller/domain/model.js';
import { RoomPatchBody } from './validation.js';
import { Login, PasswordChange } from './routes/session.js';
import { NewToken, NewUser, UserPatch } from './routes/users.js';
import { NewNotice } from './routes/notices.js';
import { PersonBody, PersonPatch, ServiceBody, ServicePatch } from './routes/directory.js';
import { NewMove } from './routes/moves.js';
import { BulkNotice, Move } from '../controller/domain/model.js';
import { BuildingBody, NewClosure } from './routes/building.js';
import { SearchQuery, RouteQuery, PlanQuery } from './routes/public.js';

const schema = (s: z.ZodType, io: 'input' | 'output' = 'output') => z.toJSONSchema(s, { target: 'openapi-3.0', io, unrepresentable: 'any' });

const errorSchema = {
  type: 'object',
  properties: {
    error: {
      type: 'object',
      properties: {
        code: { type: 'string' },
        message: { type: 'string' },
        issues: { type: 'array', items: { type: 'object', properties: { field: { type: 'string' }, message: { type: 'string' } } } },
      },
      required: ['code', 'message'],
    },
  },
};

const json = (ref: string) => ({ content: { 'application/json': { schema: { $ref: `#/components/schemas/${ref}` } } } });
const list = (ref: string) => ({ content: { 'application/json': { schema: { type: 'array', items: { $ref: `#/components/schemas/${ref}` } } } } });
const err = (description: string) => ({ description, ...json('Error') });
const idParam = { name: 'id', in: 'path', required: true, schema: { type: 'string' } };

/** Query parameters from a zod object schema. */
function queryParams(s: z.ZodObject): object[] {
  return Object.entries(s.shape).map(([name, field]) => ({ name, in: 'query', required: !(field as z.ZodType).safeParse(undefined).success, schema: schema(field as z.ZodType, 'input') }));
}

export function openApiDocument(): object {
  return {
    openapi: '3.0.3',
    security: [{ session: [] }, { token: [] }],
    info: {
      title: 'Wegweiser API',
      version: '0.1.0',
      description: `Door signs for e-paper displays. Text limits: room name ${LIMITS.name}, office hours ${LIMITS.officeHours}, notice ${LIMITS.notice} characters; longer input is refused with 400, never cut. The visitors' API (/api/public/*) answers 429 \`rate_limited\` with Retry-After beyond its per-address limit (requests per minute, configurable).`,
    },
    paths: {
      '/api/session': {
        post: { summary: 'Log in: sets the session cookie, returns the user and the CSRF token', security: [], requestBody: { required: true, ...json('Login') }, responses: { 200: { description: 'logged in' }, 401: err('wrong user name or password'), 429: err('too many failed logins for this user name from this address: wait (Retry-After)') } },
        get: { summary: 'Who is logged in, and the CSRF token', responses: { 200: { description: 'session' }, 401: err('not logged in') } },
        delete: { summary: 'Log out (needs the CSRF token)', responses: { 204: { description: 'logged out' }, 403: err('CSRF token missing') } },
      },
      '/api/session/password': { post: { summary: 'Change your password (required after a one-time password)', requestBody: { required: true, ...json('PasswordChange') }, responses: { 204: { description: 'changed' }, 400: err('invalid') } } },
      '/api/users': {
        get: { summary: 'Accounts (admin)', responses: { 200: { description: 'accounts, without any hashes' }, 403: err('not an admin') } },
        post: { summary: 'Create an account (admin); returns a one-time password once', requestBody: { required: true, ...json('NewUser') }, responses: { 201: { description: 'created' }, 400: err('invalid'), 409: err('user name taken') } },
      },
      '/api/users/{id}': {
        patch: { summary: 'Change name, role, units (admin)', parameters: [idParam], requestBody: { required: true, ...json('UserPatch') }, responses: { 200: { description: 'changed' }, 409: err('the last admin') } },
        delete: { summary: 'Remove an account (admin)', parameters: [idParam], responses: { 204: { description: 'removed' }, 409: err('the last admin') } },
      },
      '/api/users/{id}/password-reset': { post: { summary: 'A new one-time password (admin); returned once; the account\'s sessions end', parameters: [idParam], responses: { 201: { description: '{ oneTimePassword }' }, 404: err('unknown user') } } },
      '/api/login-limits': { get: { summary: 'Failed-login counts (admin): per user name + address, per name, per address, with the wait each causes', responses: { 200: { description: '{ policy, limits: [{ id, kind, username, address, failures, lastFailureAt, waitMs, slowing }] }' }, 403: err('not an admin') } } },
      '/api/login-limits/{id}': { delete: { summary: 'Lift one login limit (admin; audited)', parameters: [idParam], responses: { 204: { description: 'lifted' }, 404: err('no such limit (it may have faded)') } } },
      '/api/users/{id}/tokens': { post: { summary: 'A new API token (admin); returned once', parameters: [idParam], requestBody: { required: true, ...json('NewToken') }, responses: { 201: { description: '{ token }' } } } },
      '/api/audit': {
        get: {
          summary: 'Audit log, newest first (admin)',
          parameters: ['entity', 'id', 'user', 'since', 'limit'].map((name) => ({ name, in: 'query', required: false, schema: { type: 'string' } })),
          responses: { 200: { description: 'entries: at, user, action, entity, id, before, after' }, 400: err('bad filter') },
        },
      },
      '/api/notices': {
        get: { summary: 'Active and coming bulk notices', responses: { 200: { description: 'notices', ...list('BulkNotice') } } },
        post: { summary: 'A notice for a floor, a unit or the building, until it expires', requestBody: { required: true, ...json('NewNotice') }, responses: { 201: { description: 'posted, with roomIds' }, 400: err('invalid'), 403: err('editors: own units only') } },
      },
      '/api/notices/{id}': { delete: { summary: 'End a bulk notice early', parameters: [idParam], responses: { 204: { description: 'ended' } } } },
      '/api/people/{id}': { patch: { summary: 'Change a person: name, title, unit, absence with substitute room', parameters: [idParam], requestBody: { required: true, ...json('PersonPatch') }, responses: { 200: { description: 'person', ...json('Person') }, 400: err('invalid'), 403: err('another unit'), 409: err('stale version') } }, delete: { summary: 'Remove a person (admin; not while in a room)', parameters: [idParam], responses: { 204: { description: 'removed' }, 409: err('still in a room') } } },
      '/api/services/{id}': { patch: { summary: 'Change a service (admin)', parameters: [idParam], requestBody: { required: true, ...json('ServicePatch') }, responses: { 200: { description: 'service', ...json('Service') } } }, delete: { summary: 'Remove a service (admin; not while offered)', parameters: [idParam], responses: { 204: { description: 'removed' }, 409: err('still offered') } } },
      '/api/moves': {
        get: { summary: 'Planned moves', responses: { 200: { description: 'moves', ...list('Move') } } },
        post: { summary: 'Plan a move: a person changes rooms at a moment', requestBody: { required: true, ...json('NewMove') }, responses: { 201: { description: 'planned' }, 400: err('invalid'), 403: err('another unit') } },
      },
      '/api/building': {
        get: { summary: 'Plans, walk graph and closures', responses: { 200: { description: '{ plans, graph, closures }' } } },
        put: { summary: 'Replace the walk graph (and plans) — admin; refused, naming the room, if a room could no longer be reached from an entrance', requestBody: { required: true, ...json('Building') }, responses: { 200: { description: 'stored' }, 400: err('invalid, or a room cut off'), 403: err('not an admin') } },
      },
      '/api/building/closures': { post: { summary: 'Close a node or edge (a lift out of order): routes avoid it at once', requestBody: { required: true, ...json('NewClosure') }, responses: { 201: { description: 'closed' }, 400: err('unknown place'), 409: err('already closed') } } },
      '/api/building/closures/{id}': { delete: { summary: 'Reopen a closed place', parameters: [idParam], responses: { 204: { description: 'reopened' }, 404: err('not closed') } } },
      '/api/displays/positions': { get: { summary: 'Where each display hangs on its floor plan (percent of the plan image), and the floors with plans', responses: { 200: { description: '{ floors, displays: [{ id, floorId, left, top }] }' } } } },
      '/api/public/building': { get: { summary: 'Visitors (no login): floors, start places (kiosks, signs, doors), the default start', security: [], responses: { 200: { description: '{ enabled, floors, places, start }' } } } },
      '/api/public/search': { get: { summary: 'Visitors (no login): search services (DE/EN, synonyms, typos), people, room numbers; each hit resolved to where to go now', security: [], parameters: queryParams(SearchQuery), responses: { 200: { description: '{ from, hits }' }, 400: err('empty or over-long query, unknown start') } } },
      '/api/public/route': { get: { summary: 'Visitors (no login): the way from a place to a room, with directions in German and English', security: [], parameters: queryParams(RouteQuery), responses: { 200: { description: 'a route, or { ok: false, reason: unreachable | unreachable-step-free, message }' }, 400: err('invalid'), 404: err('unknown room') } } },
      '/api/public/plan/{floorId}.svg': { get: { summary: 'Visitors (no login): a floor plan with the route drawn (SVG)', security: [], parameters: [{ name: 'floorId', in: 'path', required: true, schema: { type: 'string' } }, ...queryParams(PlanQuery)], responses: { 200: { description: 'SVG', content: { 'image/svg+xml': { schema: { type: 'string' } } } }, 404: err('no plan for this floor') } } },
      '/api/public/plan/{floorId}.png': { get: { summary: 'Visitors (no login): the same plan as PNG', security: [], parameters: [{ name: 'floorId', in: 'path', required: true, schema: { type: 'string' } }, ...queryParams(PlanQuery)], responses: { 200: { description: 'PNG', content: { 'image/png': { schema: { type: 'string', format: 'binary' } } } }, 404: err('no plan for this floor') } } },
      '/api/moves/{id}': { delete: { summary: 'Cancel a planned move', parameters: [idParam], responses: { 204: { description: 'cancelled' } } } },
      '/api/rooms/{id}/preview': { post: { summary: 'The sign as it would look with these (unsaved) changes, as PNG; nothing is stored', parameters: [idParam], requestBody: { required: true, ...json('RoomPatch') }, responses: { 200: { description: 'PNG; X-Frame-Hash header', content: { 'image/png': { schema: { type: 'string', format: 'binary' } } } }, 400: err('invalid') } } },
      '/api/floors': { get: { summary: 'Floors, lowest first', responses: { 200: { description: 'floors', ...list('Floor') } } } },
      '/api/units': { get: { summary: 'Organisational units', responses: { 200: { description: 'units', ...list('Unit') } } } },
      '/api/people': {
        get: { summary: 'Staff directory', responses: { 200: { description: 'people', ...list('Person') } } },
        post: { summary: 'Add a person (admin; editors for their units)', requestBody: { required: true, ...json('NewPerson') }, responses: { 201: { description: 'person', ...json('Person') }, 400: err('invalid') } },
      },
      '/api/services': {
        get: { summary: 'Service catalogue', responses: { 200: { description: 'services', ...list('Service') } } },
        post: { summary: 'Add a service (admin)', requestBody: { required: true, ...json('NewService') }, responses: { 201: { description: 'service', ...json('Service') }, 400: err('invalid') } },
      },
      '/api/rooms': {
        get: {
          summary: 'Rooms, optionally of one floor',
          parameters: [{ name: 'floor', in: 'query', required: false, schema: { type: 'string' } }],
          responses: { 200: { description: 'rooms', ...list('Room') } },
        },
      },
      '/api/rooms/{id}': {
        get: { summary: 'One room', parameters: [idParam], responses: { 200: { description: 'room', ...json('Room') }, 404: err('unknown room') } },
        patch: {
          summary: 'Change a room: occupants, services, office hours, notice',
          parameters: [idParam],
          requestBody: { required: true, ...json('RoomPatch') },
          responses: {
            200: { description: 'the room after the change (on disk before this response)', ...json('Room') },
            400: err('invalid input; `issues` names each field'),
            404: err('unknown room'),
            409: err('stale version'),
            413: err('body too large'),
            503: err('storage_unavailable: the change could not be saved (disk full or read-only); nothing changed'),
          },
        },
      },
      '/api/displays': { get: { summary: 'Delivery status of every display', responses: { 200: { description: 'status', ...list('DisplayStatus') } } } },
      '/api/displays/{id}': { get: { summary: 'Delivery status of one display', parameters: [idParam], responses: { 200: { description: 'status', ...json('DisplayStatus') }, 404: err('unknown display') } } },
      '/api/displays/{id}/reset': {
        post: {
          summary: 'Reset delivery (admin, audited): forget the confirmed frame and sequence belief, clear faults, send a fresh full frame',
          parameters: [idParam],
          responses: { 200: { description: 'status after the reset', ...json('DisplayStatus') }, 403: err('not an admin'), 404: err('unknown display') },
        },
      },
      '/api/health': {
        get: {
          summary: 'Health (public): the controller\'s broker link — { ok, broker: { state: connected|reconnecting, since } }',
          security: [],
          responses: { 200: { description: 'broker connected' }, 503: { description: 'broker unreachable: no display can be served' } },
        },
      },
      '/api/displays/{id}/preview.png': {
        get: {
          summary: 'The exact frame the display should show, as PNG',
          parameters: [idParam],
          responses: { 200: { description: 'PNG', content: { 'image/png': { schema: { type: 'string', format: 'binary' } } } }, 404: err('unknown display') },
        },
      },
    },
    components: {
      securitySchemes: {
        session: { type: 'apiKey', in: 'cookie', name: 'ww_session', description: 'browser session; changes also need the X-CSRF-Token header' },
        token: { type: 'http', scheme: 'bearer', description: 'API token (wwt_…) from an admin' },
      },
      schemas: {
        Floor: schema(Floor),
        Unit: schema(Unit),
        Person: schema(Person),
        Service: schema(Service),
        Room: schema(Room.extend({ displayIds: z.array(z.string()) })),
        Display: schema(Display),
        RoomPatch: schema(RoomPatchBody, 'input'),
        Login: schema(Login, 'input'),
        PasswordChange: schema(PasswordChange, 'input'),
        NewUser: schema(NewUser, 'input'),
        UserPatch: schema(UserPatch, 'input'),
        NewToken: schema(NewToken, 'input'),
        NewNotice: schema(NewNotice, 'input'),
        BulkNotice: schema(BulkNotice),
        NewPerson: schema(PersonBody, 'input'),
        PersonPatch: schema(PersonPatch, 'input'),
        NewService: schema(ServiceBody, 'input'),
        ServicePatch: schema(ServicePatch, 'input'),
        NewMove: schema(NewMove, 'input'),
        Move: schema(Move),
        Building: schema(BuildingBody, 'input'),
        NewClosure: schema(NewClosure, 'input'),
        DisplayStatus: {
          type: 'object',
          description: 'see controller/delivery/status.ts',
          properties: {
            id: { type: 'string' },
            roomId: { type: 'string', nullable: true },
            availability: { type: 'string', enum: ['online', 'asleep', 'offline', 'unknown'], description: 'unknown until it reports, and while the broker link is down' },
            brokerConnected: { type: 'boolean' },
            desiredHash: { type: 'string', nullable: true },
            confirmedHash: { type: 'string', nullable: true },
            confirmedAt: { type: 'string', format: 'date-time', nullable: true },
            inSync: { type: 'boolean' },
            sending: { type: 'boolean' },
            failed: { type: 'boolean' },
            attempts: { type: 'integer' },
            nextAttemptAt: { type: 'string', format: 'date-time', nullable: true },
            lastError: { type: 'string', nullable: true },
            fault: {
              type: 'object',
              nullable: true,
              description: 'a report that cannot be true, refused; cleared by POST /api/displays/{id}/reset',
              properties: {
                code: { type: 'string', enum: ['impossible-seq', 'seq-exhausted', 'invalid-message', 'forged-message', 'replayed-message', 'unauthenticated-message'] },
                message: { type: 'string' },
                at: { type: 'string', format: 'date-time' },
              },
            },
            protocol: { type: 'string', enum: ['1.0', '1.1'], nullable: true, description: 'the protocol version its last hello declared' },
            unauthenticatedReports: { type: 'boolean', description: 'its record opts in to v1.0: untagged reports are believed' },
            firmware: { type: 'string', nullable: true },
            batteryMv: { type: 'integer', nullable: true },
            lastSeen: { type: 'string', format: 'date-time', nullable: true },
            warnings: { type: 'array', items: { type: 'string' } },
          },
        },
        Error: errorSchema,
      },
    },
  };
}
