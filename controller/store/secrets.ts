// Per-display secrets, kept apart from the data file (which the API serialises) in DATA_DIR/secrets.json, mode
// 0600, written atomically. Each display has one random 32-byte secret; the frame HMAC key is the secret itself and
// its MQTT password is derived from it one-way, so a leaked broker password does not reveal the frame key.
// The server and `wegweiser mqtt-files` both create secrets: under the file's lock, on the file as it is now, and
// only for displays that have none (a secret is never replaced), so neither can drop the other's (SharedJsonFile).
import { createHmac, randomBytes } from 'node:crypto';
import path from 'node:path';
import { z } from 'zod';
import { SharedJsonFile } from './shared-json-file.js';
import { DataFileError, describeIssues, parseJsonFile } from './json-file.js';

export const SECRETS_FILE = 'secrets.json';

const SecretsFile = z.strictObject({
  version: z.literal(1),
  controller: z.strictObject({ mqttPassword: z.string().min(32) }),
  displays: z.record(z.string(), z.string().regex(/^[0-9a-f]{64}$/)),
});
type SecretsFile = z.infer<typeof SecretsFile>;

export const CONTROLLER_MQTT_USER = 'wegweiser-controller';

/**
 * A display's broker password: base64url without padding (43 characters) of HMAC-SHA256(frame key, "wegweiser mqtt
 * password v1") — one-way, so the broker's password file and its traffic reveal nothing about the frame key.
 */
export function deriveMqttPassword(frameKey: Buffer): string {
  return createHmac('sha256', frameKey).update('wegweiser mqtt password v1', 'ascii').digest('base64url');
}

export class SecretStore {
  private constructor(private readonly store: SharedJsonFile<SecretsFile>) {}

  get file(): string {
    return this.store.file;
  }

  /** Opens (or creates) the secrets file and creates secrets for the given displays that have none. */
  static async open(dataDir: string, displayIds: readonly string[]): Promise<SecretStore> {
    const store = await SecretStore.read(dataDir, true);
    if (store.store.isMissing || displayIds.some((id) => !store.has(id))) await store.ensure(displayIds);
    return store;
  }

  /** Reads the secrets file without changing it (for `wegweiser sim`). */
  static async read(dataDir: string, allowMissing = false): Promise<SecretStore> {
    const store = await SharedJsonFile.open<SecretsFile>(path.join(dataDir, SECRETS_FILE), {
      parse: (raw, file) => {
        // Never quote the file in an error: its broken line may hold a display's secret.
        const parsed = SecretsFile.safeParse(parseJsonFile(file, raw));
        if (!parsed.success) throw new DataFileError(file, `invalid: ${describeIssues(parsed.error.issues, { revealKeys: false })}; the file was left untouched`);
        return parsed.data;
      },
      empty: () => ({ version: 1, controller: { mqttPassword: randomBytes(24).toString('base64url') }, displays: {} }),
    });
    if (store.isMissing && !allowMissing) throw new DataFileError(store.file, 'missing: start the controller once to create it');
    return new SecretStore(store);
  }

  /** Creates secrets for displays that have none, and saves (keeping every secret already in the file). */
  async ensure(displayIds: readonly string[]): Promise<void> {
    await this.store.update('system', (d) => {
      for (const id of displayIds) d.displays[id] ??= randomBytes(32).toString('hex');
      return { result: undefined };
    });
  }

  has(displayId: string): boolean {
    return this.store.get().displays[displayId] !== undefined;
  }

  /** The frame authentication key of a display. */
  frameKey(displayId: string): Buffer {
    const hex = this.store.get().displays[displayId];
    if (!hex) throw new Error(`no secret for display "${displayId}"`);
    return Buffer.from(hex, 'hex');
  }

  mqttPassword(displayId: string): string {
    return deriveMqttPassword(this.frameKey(displayId));
  }

  controllerMqttPassword(): string {
    return this.store.get().controller.mqttPassword;
  }

  /** Display ids with secrets (for broker credential files). */
  displayIds(): string[] {
    return Object.keys(this.store.get().displays);
  }
}
