import { describe } from 'vitest';
import { editToDisplaySuite } from './edit-to-display.shared.js';
import { embeddedBroker } from '../helpers/fixture.js';

describe('edit → display over the embedded aedes broker', () => {
  editToDisplaySuite(embeddedBroker);
});
