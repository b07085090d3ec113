import { describe } from 'vitest';
import { editToDisplaySuite } from './edit-to-display.shared.js';
import { startSecuredMosquitto } from '../helpers/mosquitto.js';
import { MOSQUITTO, needs } from '../helpers/env.js';

describe.runIf(needs(MOSQUITTO, 'mosquitto'))('edit → display over a real Mosquitto', () => {
  editToDisplaySuite(startSecuredMosquitto);
});
