// Accounts: who may use the admin UI and the API, with which role, for which units. Kept in DATA_DIR/users.json
// (mode 0600, written atomically), apart from the staff-edited data: it holds password and token hashes, never the
// passwords or tokens themselves.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmod, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { AppError, conflict, notFound } from '../errors.js';
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
  private constructor(
    readonly file: string,
    private data: UsersFile,
  ) {}

  static async open(dataDir: string): Promise<UserStore> {
    const file = path.join(dataDir, USERS_FILE);
    let data: UsersFile = { version: 1, users: [] };
    const raw = await readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return null;
      throw new DataFileError(file, `cannot read: ${err.message}`);
    });
    if (raw !== null) {
      // What is wrong, never what is there (password and token hashes).
      const parsed = UsersFile.safeParse(parseJsonFile(file, raw));
      if (!parsed.success) throw new DataFileError(file, `invalid accounts file: ${describeIssues(parsed.error.issues, { revealKeys: false })}; the file was left untouched`);
      data = parsed.data;
    }
    return new UserStore(file, data);
  }

  private async save(): Promise<void> {
    const tmp = `${this.file}.${process.pid}.tmp`;
    await writeFile(tmp, JSON.stringify(this.data, null, 2), { mode: 0o600 });
    await chmod(tmp, 0o600);
    await rename(tmp, this.file);
  }

  count(): number {
    return this.data.users.length;
  }

  list(): PublicUser[] {
    return this.data.users.map(publicUser);
  }

  get(id: string): PublicUser {
    const u = this.data.users.find((x) => x.id === id);
    if (!u) throw notFound('user', id);
    return publicUser(u);
  }

  /** Creates an account; without a password, one is generated and returned (shown once). */
  async add(input: { username: string; name?: string; role: Role; unitIds?: string[]; password?: string; mustChangePassword?: boolean }): Promise<{ user: PublicUser; password: string }> {
    if (this.data.users.some((u) => u.username.toLowerCase() === input.username.toLowerCase())) {
      throw conflict(`user name "${input.username}" is taken`);
    }
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
    this.data.users.push(user);
    await this.save();
    return { user: publicUser(user), password };
  }

  async update(id: string, patch: { name?: string; role?: Role; unitIds?: string[] }): Promise<PublicUser> {
    const u = this.data.users.find((x) => x.id === id);
    if (!u) throw notFound('user', id);
    if (patch.role && patch.role !== 'admin' && u.role === 'admin' && this.data.users.filter((x) => x.role === 'admin').length === 1) {
      throw new AppError(409, 'last_admin', 'the last admin cannot lose the admin role');
    }
    Object.assign(u, Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)));
    await this.save();
    return publicUser(u);
  }

  async remove(id: string): Promise<void> {
    const u = this.data.users.find((x) => x.id === id);
    if (!u) throw notFound('user', id);
    if (u.role === 'admin' && this.data.users.filter((x) => x.role === 'admin').length === 1) {
      throw new AppError(409, 'last_admin', 'the last admin cannot be removed');
    }
    this.data.users = this.data.users.filter((x) => x.id !== id);
    await this.save();
  }

  /** The user for a name and password, or null. Takes the same time whether or not the user exists. */
  async verify(username: string, password: string): Promise<PublicUser | null> {
    const u = this.data.users.find((x) => x.username.toLowerCase() === username.toLowerCase());
    if (!u) {
      dummyHash ??= hashPassword('not a real password');
      await verifyPassword(password, await dummyHash);
      return null;
    }
    return (await verifyPassword(password, u.passwordHash)) ? publicUser(u) : null;
  }

  async setPassword(id: string, password: string): Promise<void> {
    const u = this.data.users.find((x) => x.id === id);
    if (!u) throw notFound('user', id);
    u.passwordHash = await hashPassword(password);
    u.mustChangePassword = false;
    await this.save();
  }

  /** The next login must choose a new password (after an admin reset it). */
  async requirePasswordChange(id: string): Promise<void> {
    const u = this.data.users.find((x) => x.id === id);
    if (!u) throw notFound('user', id);
    u.mustChangePassword = true;
    await this.save();
  }

  /** A new API token for scripts (`Authorization: Bearer …`); returned once, stored as a hash. */
  async createToken(userId: string, name: string): Promise<string> {
    const u = this.data.users.find((x) => x.id === userId);
    if (!u) throw notFound('user', userId);
    const id = randomBytes(6).toString('hex');
    const secret = randomBytes(24).toString('base64url');
    u.tokens.push({ id, name, hash: sha256(secret), createdAt: new Date().toISOString() });
    await this.save();
    return `wwt_${id}_${secret}`;
  }

  async revokeToken(userId: string, tokenId: string): Promise<void> {
    const u = this.data.users.find((x) => x.id === userId);
    if (!u || !u.tokens.some((t) => t.id === tokenId)) throw notFound('token', tokenId);
    u.tokens = u.tokens.filter((t) => t.id !== tokenId);
    await this.save();
  }

  verifyToken(token: string): PublicUser | null {
    const m = /^wwt_([0-9a-f]{12})_([A-Za-z0-9_-]{32})$/.exec(token);
    if (!m) return null;
    const [, id, secret] = m;
    for (const u of this.data.users) {
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
