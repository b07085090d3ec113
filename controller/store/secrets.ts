// Per-display secrets, kept apart from the data file (which the API serialises) in DATA_DIR/secrets.json, mode
// 0600, written atomically. Each display has one random 32-byte secret; the frame HMAC key is the secret itself and
// its MQTT password is derived from it one-way, so a leaked broker password does not reveal the frame key.
import { createHmac, randomBytes } from 'node:crypto';
import { readFile, rename, writeFile, chmod } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { DataFileError, describeIssues, parseJsonFile } from './json-file.js';

export const SECRETS_FILE = 'secrets.json';

const SecretsFile = z.strictObject({
  version: z.literal(1),
  controller: z.strictObject({ mqttPassword: z.string().min(32) }),
  displays: z.record(z.string(), z.string().regex(/^[0-9a-f]{64}$/)),
});
type SecretsFile = z.infer<typeof SecretsFile>;

export const CONTROLLER_MQTT_USER = 'wegweiser-controller';

export class SecretStore {
  private fresh = false;

  private constructor(
    readonly file: string,
    private data: SecretsFile,
  ) {}

  /** Opens (or creates) the secrets file and creates secrets for the given displays that have none. */
  static async open(dataDir: string, displayIds: readonly string[]): Promise<SecretStore> {
    const store = await SecretStore.read(dataDir, true);
    if (displayIds.some((id) => !store.data.displays[id]) || store.fresh) await store.ensure(displayIds);
    return store;
  }

  /** Reads the secrets file without changing it (for `wegweiser sim`). */
  static async read(dataDir: string, allowMissing = false): Promise<SecretStore> {
    const file = path.join(dataDir, SECRETS_FILE);
    let data: SecretsFile | null = null;
    const raw = await readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return null;
      throw new DataFileError(file, `cannot read: ${err.message}`);
    });
    if (raw !== null) {
      // Never quote the file in an error: its broken line may hold a display's secret.
      const parsed = SecretsFile.safeParse(parseJsonFile(file, raw));
      if (!parsed.success) throw new DataFileError(file, `invalid: ${describeIssues(parsed.error.issues, { revealKeys: false })}; the file was left untouched`);
      data = parsed.data;
    }
    if (!data && !allowMissing) throw new DataFileError(file, 'missing: start the controller once to create it');
    const store = new SecretStore(file, data ?? { version: 1, controller: { mqttPassword: randomBytes(24).toString('base64url') }, displays: {} });
    store.fresh = data === null;
    return store;
  }

  /** Creates secrets for displays that have none, and saves. */
  async ensure(displayIds: readonly string[]): Promise<void> {
    for (const id of displayIds) this.data.displays[id] ??= randomBytes(32).toString('hex');
    const tmp = `${this.file}.${process.pid}.tmp`;
    await writeFile(tmp, JSON.stringify(this.data, null, 2), { mode: 0o600 });
    await chmod(tmp, 0o600);
    await rename(tmp, this.file);
  }

  has(displayId: string): boolean {
    return this.data.displays[displayId] !== undefined;
  }

  /** The frame authentication key of a display. */
  frameKey(displayId: string): Buffer {
    const hex = this.data.displays[displayId];
    if (!hex) throw new Error(`no secret for display "${displayId}"`);
    return Buffer.from(hex, 'hex');
  }

  mqttPassword(displayId: string): string {
    return createHmac('sha256', this.frameKey(displayId)).update('wegweiser mqtt password v1').digest('base64url');
  }

  controllerMqttPassword(): string {
    return this.data.controller.mqttPassword;
  }

  /** Display ids with secrets (for broker credential files). */
  displayIds(): string[] {
    return Object.keys(this.data.displays);
  }
}
