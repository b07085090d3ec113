import { describe } from 'vitest';
import { cDisplaysSuite } from './c-displays.shared.js';
import { startSecuredMosquitto } from '../helpers/mosquitto.js';
import { MOSQUITTO, needs } from '../helpers/env.js';
import { needsCToolchain } from '../helpers/firmware.js';

describe.runIf(needs(MOSQUITTO, 'mosquitto') && needsCToolchain('the C display integration tests'))('C displays (firmware/linux) next to simulators, over a real Mosquitto', () => {
  cDisplaysSuite(startSecuredMosquitto, 'mosquitto');
});
