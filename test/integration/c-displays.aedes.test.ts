import { describe } from 'vitest';
import { cDisplaysSuite } from './c-displays.shared.js';
import { embeddedBroker } from '../helpers/fixture.js';
import { needsCToolchain } from '../helpers/firmware.js';

describe.runIf(needsCToolchain('the C display integration tests'))('C displays (firmware/linux) next to simulators, over the embedded aedes broker', () => {
  cDisplaysSuite(embeddedBroker, 'aedes');
});
