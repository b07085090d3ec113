// Record ids: one rule for every collection (and for the walk graph's nodes and edges).
import { z } from 'zod';

export const Id = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'an id: letters, digits, . _ - (max 64)');
