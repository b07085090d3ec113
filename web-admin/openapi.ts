// The OpenAPI document, built from the same zod schemas that validate requests, so it cannot drift from them.
import { z } from 'zod';
import { Display, Floor, Person, Room, Service, Unit, LIMITS } from '../controller/domain/model.js';
import { RoomPatchBody } from './validation.js';

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

export function openApiDocument(): object {
  return {
    openapi: '3.0.3',
    info: {
      title: 'Wegweiser API',
      version: '0.1.0',
      description: `Door signs for e-paper displays. Text limits: room name ${LIMITS.name}, office hours ${LIMITS.officeHours}, notice ${LIMITS.notice} characters; longer input is refused with 400, never cut.`,
    },
    paths: {
      '/api/floors': { get: { summary: 'Floors, lowest first', responses: { 200: { description: 'floors', ...list('Floor') } } } },
      '/api/units': { get: { summary: 'Organisational units', responses: { 200: { description: 'units', ...list('Unit') } } } },
      '/api/people': { get: { summary: 'Staff directory', responses: { 200: { description: 'people', ...list('Person') } } } },
      '/api/services': { get: { summary: 'Service catalogue', responses: { 200: { description: 'services', ...list('Service') } } } },
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
          },
        },
      },
      '/api/displays': { get: { summary: 'Delivery status of every display', responses: { 200: { description: 'status', ...list('DisplayStatus') } } } },
      '/api/displays/{id}': { get: { summary: 'Delivery status of one display', parameters: [idParam], responses: { 200: { description: 'status', ...json('DisplayStatus') }, 404: err('unknown display') } } },
      '/api/displays/{id}/preview.png': {
        get: {
          summary: 'The exact frame the display should show, as PNG',
          parameters: [idParam],
          responses: { 200: { description: 'PNG', content: { 'image/png': { schema: { type: 'string', format: 'binary' } } } }, 404: err('unknown display') },
        },
      },
    },
    components: {
      schemas: {
        Floor: schema(Floor),
        Unit: schema(Unit),
        Person: schema(Person),
        Service: schema(Service),
        Room: schema(Room.extend({ displayIds: z.array(z.string()) })),
        Display: schema(Display),
        RoomPatch: schema(RoomPatchBody, 'input'),
        DisplayStatus: {
          type: 'object',
          description: 'see controller/delivery/status.ts',
          properties: {
            id: { type: 'string' },
            roomId: { type: 'string', nullable: true },
            availability: { type: 'string', enum: ['online', 'offline', 'unknown'] },
            desiredHash: { type: 'string', nullable: true },
            confirmedHash: { type: 'string', nullable: true },
            confirmedAt: { type: 'string', format: 'date-time', nullable: true },
            inSync: { type: 'boolean' },
            sending: { type: 'boolean' },
            failed: { type: 'boolean' },
            attempts: { type: 'integer' },
            lastError: { type: 'string', nullable: true },
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
