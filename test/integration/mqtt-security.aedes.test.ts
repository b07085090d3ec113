import { describe } from 'vitest';
import { mqttSecuritySuite } from './mqtt-security.shared.js';
import { embeddedBroker } from '../helpers/fixture.js';

describe('MQTT security on the embedded aedes broker', () => {
  mqttSecuritySuite(embeddedBroker);
});
