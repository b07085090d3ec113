import { describe } from 'vitest';
import { editToDisplaySuite } from './edit-to-display.shared.js';

describe('edit → display over the embedded aedes broker', () => {
  editToDisplaySuite(async () => ({ stop: async () => undefined }));
});
