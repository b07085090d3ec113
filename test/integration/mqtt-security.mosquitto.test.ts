import { describe } from 'vitest';
import { mqttSecuritySuite } from './mqtt-security.shared.js';
import { startSecuredMosquitto } from '../helpers/mosquitto.js';
import { MOSQUITTO, needs } from '../helpers/env.js';

describe.runIf(needs(MOSQUITTO, 'mosquitto'))('MQTT security on Mosquitto with the password and ACL files Wegweiser writes', () => {
  mqttSecuritySuite(startSecuredMosquitto);
});
