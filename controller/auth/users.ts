// Accounts: who may use the admin UI and the API, with which role, for which units. Kept in DATA_DIR/users.json
// (mode 0600, written atomically), apart from the staff-edited data: it holds password and token hashes, never the
// passwords or tokens themselves. The server and `wegweiser user …` both write it: every change takes the file's
// lock and applies to the file as it is now (SharedJsonFile), and every read notices a change made by the other.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import path from 'node:path';
import { z } from 'zod';
import type { AuditLog } from '../audit/audit-log.js';
import { AppError, conflict, notFound } from '../errors.js';
import type { FileWriter } from '../store/durable.js';
import { SharedJsonFile } from '../store/shared-json-file.js';
import { generatePassword, hashPassword, verifyPassword } from './passwords.js';
import { DataFileError, describeIssues, parseJsonFile } from '../store/json-file.js';

export const USERS_FILE = 'users.json';
export const Role = z.enum(['admin', 'editor', 'viewer']);
export type Role = z.infer<typeof Role>;

const Token = z.strictObject({ id: z.string(), name: z.string(), hash: z.string(), createdAt: z.string() });
const User = z.strictObject({
  id: z.string(),
  username: z.string(),
  name: z.string(),
  role: Role,
  /** units whose rooms an editor may change */
  unitIds: z.array(z.string()),
  passwordHash: z.string(),
  mustChangePassword: z.boolean(),
  tokens: z.array(Token),
  createdAt: z.string(),
});
type User = z.infer<typeof User>;
const UsersFile = z.strictObject({ version: z.literal(1), users: z.array(User) });
type UsersFile = z.infer<typeof UsersFile>;

/** What the API may show about a user: never hashes. */
export interface PublicUser {
  id: string;
  username: string;
  name: string;
  role: Role;
  unitIds: string[];
  mustChangePassword: boolean;
  tokens: { id: string; name: string; createdAt: string }[];
}

export function publicUser(u: User): PublicUser {
  return {
    id: u.id,
    username: u.username,
    name: u.name,
    role: u.role,
    unitIds: [...u.unitIds],
    mustChangePassword: u.mustChangePassword,
    tokens: u.tokens.map((t) => ({ id: t.id, name: t.name, createdAt: t.createdAt })),
  };
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
/** verifying a login for an unknown user costs as much as for a known one (no user enumeration by timing) */
let dummyHash: Promise<string> | null = null;

export class UserStore {
  private constructor(private readonly store: SharedJsonFile<UsersFile>) {}

  get file(): string {
    return this.store.file;
  }

  /**
   * Opens the accounts file (a missing one is created by the first change). An unreadable or invalid file is refused
   * and left untouched. With `audit`, every change is audited before it is written; `watch` loads changes by other
   * processes as they happen (the server), not only at the next use.
   */
  static async open(dataDir: string, opts: { audit?: AuditLog | null; writer?: FileWriter; watch?: boolean; onReloadError?: (err: Error) => void } = {}): Promise<UserStore> {
    const store = await SharedJsonFile.open<UsersFile>(path.join(dataDir, USERS_FILE), {
      parse: (raw, file) => {
        // What is wrong, never what is there (password and token hashes).
        const parsed = UsersFile.safeParse(parseJsonFile(file, raw));
        if (!parsed.success) throw new DataFileError(file, `invalid accounts file: ${describeIssues(parsed.error.issues, { revealKeys: false })}; the file was left untouched`);
        return parsed.data;
      },
      empty: () => ({ version: 1, users: [] }),
      audit: opts.audit ?? null,
      ...(opts.writer ? { writer: opts.writer } : {}),
      ...(opts.onReloadError ? { onReloadError: opts.onReloadError } : {}),
    });
    if (opts.watch) store.watch();
    return new UserStore(store);
  }

  /** Stops watching the file. */
  close(): void {
    this.store.close();
  }

  /** Calls `fn` when a change by another process (a CLI command) has been loaded. */
  onExternalChange(fn: () => void): () => void {
    return this.store.onChange(fn);
  }

  /**
   * Per account a fingerprint of what a login rests on (its password hash): after an external change (the CLI), the
   * server compares two of these to end the sessions of accounts that were removed or given a new password.
   */
  credentialStamps(): Map<string, string> {
    return new Map(this.users().map((u) => [u.id, u.passwordHash]));
  }

  private users(): readonly User[] {
    return this.store.get().users;
  }

  count(): number {
    return this.users().length;
  }

  list(): PublicUser[] {
    return this.users().map(publicUser);
  }

  get(id: string): PublicUser {
    const u = this.users().find((x) => x.id === id);
    if (!u) throw notFound('user', id);
    return publicUser(u);
  }

  /** Creates an account; without a password, one is generated and returned (shown once). */
  async add(
    input: { username: string; name?: string; role: Role; unitIds?: string[]; password?: string; mustChangePassword?: boolean },
    by = 'system',
  ): Promise<{ user: PublicUser; password: string }> {
    const taken = (users: readonly User[]) => users.some((u) => u.username.toLowerCase() === input.username.toLowerCase());
    if (taken(this.users())) throw conflict(`user name "${input.username}" is taken`);
    const password = input.password ?? generatePassword();
    const user: User = {
      id: `usr-${randomBytes(6).toString('hex')}`,
      username: input.username,
      name: input.name ?? input.username,
      role: input.role,
      unitIds: input.unitIds ?? [],
      passwordHash: await hashPassword(password),
      mustChangePassword: input.mustChangePassword ?? input.password === undefined,
      tokens: [],
      createdAt: new Date().toISOString(),
    };
    await this.store.update(by, (d) => {
      if (taken(d.users)) throw conflict(`user name "${input.username}" is taken`); // by another process meanwhile
      d.users.push(user);
      return { result: undefined, audit: [{ action: 'create', entity: 'user', id: user.id, before: {}, after: { username: user.username, role: user.role, unitIds: user.unitIds } }] };
    });
    return { user: publicUser(user), password };
  }

  /** The user with this id in `d`, or 404. */
  private static find(d: UsersFile, id: string): User {
    const u = d.users.find((x) => x.id === id);
    if (!u) throw notFound('user', id);
    return u;
  }

  async update(id: string, patch: { name?: string; role?: Role; unitIds?: string[] }, by = 'system'): Promise<PublicUser> {
    return this.store.update(by, (d) => {
      const u = UserStore.find(d, id);
      if (patch.role && patch.role !== 'admin' && u.role === 'admin' && d.users.filter((x) => x.role === 'admin').length === 1) {
        throw new AppError(409, 'last_admin', 'the last admin cannot lose the admin role');
      }
      const before = { role: u.role, unitIds: [...u.unitIds], name: u.name };
      Object.assign(u, Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)));
      return { result: publicUser(u), audit: [{ action: 'update', entity: 'user', id, before, after: { role: u.role, unitIds: u.unitIds, name: u.name } }] };
    });
  }

  async remove(id: string, by = 'system'): Promise<void> {
    await this.store.update(by, (d) => {
      const u = UserStore.find(d, id);
      if (u.role === 'admin' && d.users.filter((x) => x.role === 'admin').length === 1) {
        throw new AppError(409, 'last_admin', 'the last admin cannot be removed');
      }
      d.users = d.users.filter((x) => x.id !== id);
      return { result: undefined, audit: [{ action: 'delete', entity: 'user', id, before: { username: u.username, role: u.role }, after: {} }] };
    });
  }

  /** The user for a name and password, or null. Takes the same time whether or not the user exists. */
  async verify(username: string, password: string): Promise<PublicUser | null> {
    const u = this.users().find((x) => x.username.toLowerCase() === username.toLowerCase());
    if (!u) {
      dummyHash ??= hashPassword('not a real password');
      await verifyPassword(password, await dummyHash);
      return null;
    }
    return (await verifyPassword(password, u.passwordHash)) ? publicUser(u) : null;
  }

  /**
   * Sets a password: the user's own choice (`oneTime` false: the one-time password is done with), or a new one-time
   * password an admin or the CLI hands out (the next login must choose a new one).
   */
  async setPassword(id: string, password: string, by = 'system', opts: { oneTime?: boolean } = {}): Promise<void> {
    const passwordHash = await hashPassword(password);
    await this.store.update(by, (d) => {
      const u = UserStore.find(d, id);
      u.passwordHash = passwordHash;
      u.mustChangePassword = opts.oneTime ?? false;
      return { result: undefined, audit: [{ action: opts.oneTime ? 'password-reset' : 'password-change', entity: 'user', id, before: {}, after: {} }] };
    });
  }

  /** The next login must choose a new password (after an admin reset it). */
  async requirePasswordChange(id: string, by = 'system'): Promise<void> {
    await this.store.update(by, (d) => {
      const u = UserStore.find(d, id);
      u.mustChangePassword = true;
      return { result: undefined, audit: [{ action: 'require-password-change', entity: 'user', id, before: {}, after: {} }] };
    });
  }

  /** A new API token for scripts (`Authorization: Bearer …`); returned once, stored as a hash. */
  async createToken(userId: string, name: string, by = 'system'): Promise<string> {
    const id = randomBytes(6).toString('hex');
    const secret = randomBytes(24).toString('base64url');
    await this.store.update(by, (d) => {
      const u = UserStore.find(d, userId);
      u.tokens.push({ id, name, hash: sha256(secret), createdAt: new Date().toISOString() });
      return { result: undefined, audit: [{ action: 'create-token', entity: 'user', id: userId, before: {}, after: { token: name } }] };
    });
    return `wwt_${id}_${secret}`;
  }

  async revokeToken(userId: string, tokenId: string, by = 'system'): Promise<void> {
    await this.store.update(by, (d) => {
      const u = d.users.find((x) => x.id === userId);
      if (!u || !u.tokens.some((t) => t.id === tokenId)) throw notFound('token', tokenId);
      u.tokens = u.tokens.filter((t) => t.id !== tokenId);
      return { result: undefined, audit: [{ action: 'revoke-token', entity: 'user', id: userId, before: { token: tokenId }, after: {} }] };
    });
  }

  verifyToken(token: string): PublicUser | null {
    const m = /^wwt_([0-9a-f]{12})_([A-Za-z0-9_-]{32})$/.exec(token);
    if (!m) return null;
    const [, id, secret] = m;
    for (const u of this.users()) {
      const t = u.tokens.find((x) => x.id === id);
      if (t) {
        const a = Buffer.from(t.hash, 'hex');
        const b = Buffer.from(sha256(secret ?? ''), 'hex');
        return a.length === b.length && timingSafeEqual(a, b) ? publicUser(u) : null;
      }
    }
    return null;
  }
}
