// Who may do what on the broker — one set of rules for the embedded aedes broker (enforced in its hooks) and for
// Mosquitto (written out as a password and an ACL file). Anonymous clients are refused. The controller may use the
// whole prefix; a display, logged in as its own id, may read only its own frame topic (and the bridge state) and
// write only its own status topics. Every login may use only its own client id — the user name — so no login can
// take over (and so disconnect, firing its last will) another's connection: aedes refuses any other client id,
// Mosquitto replaces it with the user name (`use_username_as_clientid true`).
import { pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { CONTROLLER_MQTT_USER, type SecretStore } from '../../store/secrets.js';
import { atomicWriter } from '../../store/durable.js';
import { DisplayIdPattern } from '../../protocol/topics.js';

/** Topics a display publishes (its own id only). */
export const DISPLAY_WRITES = ['hello', 'ack', 'nak', 'availability', 'checkin', 'telemetry'] as const;
/** Topics a display reads (its own id only). */
export const DISPLAY_READS = ['frame', 'control'] as const;

export class MqttAccess {
  constructor(
    private readonly prefix: string,
    private readonly secrets: SecretStore,
  ) {}

  /** The one client id a login may use. */
  static clientIdFor(username: string): string {
    return username;
  }

  /** Checks a login (and the client id it connects with); the role it grants, or null. */
  authenticate(username: string | undefined, password: Buffer | undefined, clientId: string): { role: 'controller' } | { role: 'display'; id: string } | null {
    if (!username || !password) return null;
    if (clientId !== MqttAccess.clientIdFor(username)) return null;
    const same = (expected: string) => {
      const a = Buffer.from(expected);
      return a.length === password.length && timingSafeEqual(a, password);
    };
    if (username === CONTROLLER_MQTT_USER) return same(this.secrets.controllerMqttPassword()) ? { role: 'controller' } : null;
    if (!DisplayIdPattern.test(username) || !this.secrets.has(username)) return null;
    return same(this.secrets.mqttPassword(username)) ? { role: 'display', id: username } : null;
  }

  canPublish(username: string, topic: string): boolean {
    if (username === CONTROLLER_MQTT_USER) return topic.startsWith(`${this.prefix}/`);
    return (DISPLAY_WRITES as readonly string[]).some((leaf) => topic === `${this.prefix}/display/${username}/${leaf}`);
  }

  /** Subscriptions are exact topics for displays: no wildcards, so no reading of other displays' frames. */
  canSubscribe(username: string, filter: string): boolean {
    if (username === CONTROLLER_MQTT_USER) return filter.startsWith(`${this.prefix}/`);
    if (filter === `${this.prefix}/bridge/state`) return true;
    return (DISPLAY_READS as readonly string[]).some((leaf) => filter === `${this.prefix}/display/${username}/${leaf}`);
  }

  /** Mosquitto's ACL file expressing the same rules (`%u` is the username, i.e. the display id). */
  mosquittoAcl(): string {
    const p = this.prefix;
    return [
      '# Written by Wegweiser: the same rules the embedded broker enforces. Regenerate, do not edit.',
      `user ${CONTROLLER_MQTT_USER}`,
      `topic readwrite ${p}/#`,
      '',
      ...DISPLAY_READS.map((leaf) => `pattern read ${p}/display/%u/${leaf}`),
      `pattern read ${p}/bridge/state`,
      ...DISPLAY_WRITES.map((leaf) => `pattern write ${p}/display/%u/${leaf}`),
      '',
    ].join('\n');
  }

  /**
   * The lines of mosquitto.conf that give Mosquitto the same rules (after the `listener` line they apply to):
   * logins required, these files, and every client id replaced by its user name.
   */
  static mosquittoConf(files: { passwd: string; acl: string }): string[] {
    return ['allow_anonymous false', `password_file ${files.passwd}`, `acl_file ${files.acl}`, 'use_username_as_clientid true'];
  }

  /** Mosquitto 2 password file: PBKDF2-SHA512 entries in mosquitto_passwd's `$7$` format. */
  mosquittoPasswd(): string {
    const line = (user: string, password: string) => {
      const salt = randomBytes(12);
      const iterations = 101;
      const hash = pbkdf2Sync(password, salt, iterations, 64, 'sha512');
      return `${user}:$7$${iterations}$${salt.toString('base64')}$${hash.toString('base64')}`;
    };
    return [line(CONTROLLER_MQTT_USER, this.secrets.controllerMqttPassword()), ...this.secrets.displayIds().map((id) => line(id, this.secrets.mqttPassword(id))), ''].join('\n');
  }

  /** Writes DIR/passwd and DIR/acl (mode 0600) for an external Mosquitto; returns their paths. */
  async writeMosquittoFiles(dir: string): Promise<{ passwd: string; acl: string }> {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const out = { passwd: path.join(dir, 'passwd'), acl: path.join(dir, 'acl') };
    for (const [file, text] of [
      [out.passwd, this.mosquittoPasswd()],
      [out.acl, this.mosquittoAcl()],
    ] as const) {
      // The server (at start) and `wegweiser mqtt-files` both write these: a temp name of their own each, so two
      // writers never rename each other's half-written file.
      await atomicWriter.write(file, text, { mode: 0o600 });
    }
    return out;
  }
}
