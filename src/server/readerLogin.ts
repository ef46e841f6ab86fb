import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import type pg from 'pg';
import type { Db } from '../db/types.ts';
import { EtlError } from '../internal/errors.ts';

/** The login `serve` reads PostgreSQL as: a role of its own, whose only privilege is to act as the reader role. */
export interface ReaderLogin {
  user: string;
  /** Undefined: the role gets no password (only trust authentication lets it in). */
  password: string | undefined;
}

/**
 * The codes of a connection refused because the login is not (yet) what it should be: no such role (28000),
 * wrong password (28P01), or not allowed to take the reader role (42501, or 22023 when that role is missing).
 */
export const LOGIN_REFUSED = new Set(['28000', '28P01', '42501', '22023']);

const SCRAM_ITERATIONS = 4096;

/**
 * A SCRAM-SHA-256 verifier of the password, as PostgreSQL stores it: sent instead of the password, so the
 * password never appears in the server's statement log. (ASCII passwords: SASLprep leaves them unchanged.)
 */
export function scramVerifier(password: string, salt = randomBytes(16)): string {
  const salted = pbkdf2Sync(password, salt, SCRAM_ITERATIONS, 32, 'sha256');
  const clientKey = createHmac('sha256', salted).update('Client Key').digest();
  const storedKey = createHash('sha256').update(clientKey).digest('base64');
  const serverKey = createHmac('sha256', salted).update('Server Key').digest('base64');
  return `SCRAM-SHA-256$${SCRAM_ITERATIONS}:${salt.toString('base64')}$${storedKey}:${serverKey}`;
}

/** Catalogue writes of two processes on one role may collide ("tuple concurrently updated"): try again. */
const COLLISIONS = new Set(['XX000', '23505', '40001', '42710']);

/**
 * Creates the login (or sets its password) as the DATABASE_URL user, which needs CREATEROLE: `LOGIN NOINHERIT`
 * and a member of `readerRole`, nothing else. NOINHERIT: the login holds no privilege of its own; its sessions
 * read as `readerRole` (the connection's `-c role=`), and `RESET ROLE` leaves them with nothing.
 */
export async function provisionReaderLogin(owner: Db, login: ReaderLogin, readerRole: string): Promise<void> {
  const password = login.password === undefined ? null : scramVerifier(login.password);
  for (let attempt = 1; ; attempt++) {
    try {
      await owner.transaction(async (tx) => {
        const [role] = await tx.query<{ n: number }>('SELECT count(*)::int AS n FROM pg_roles WHERE rolname = $1', [
          login.user,
        ]);
        if (role?.n === 0) await tx.exec(`CREATE ROLE "${login.user}" LOGIN NOINHERIT`);
        // Utility statements take no bind parameters: format() quotes the verifier as a literal (NULL: none).
        const [alter] = await tx.query<{ sql: string }>(
          `SELECT format('ALTER ROLE %I WITH LOGIN NOINHERIT PASSWORD %L', $1::text, $2::text) AS sql`,
          [login.user, password],
        );
        await tx.exec(alter?.sql ?? '');
        await tx.exec(`GRANT ${readerRole} TO "${login.user}"`);
      });
      return;
    } catch (error) {
      const code = (error as { code?: string }).code ?? '';
      if (attempt >= 5 || !COLLISIONS.has(code)) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50 * attempt));
    }
  }
}

/**
 * Refuses a login that can do more than read: a superuser, a role that may create roles or databases, replicate
 * or bypass row security, or a member of any role besides `readerRole` (it could `SET ROLE` to it).
 */
export async function assertOnlyReads(client: pg.ClientBase, readerRole: string): Promise<void> {
  const { rows } = await client.query<{ user: string; powers: string[]; roles: string[] }>(
    `SELECT r.rolname AS user,
       array_remove(ARRAY[CASE WHEN r.rolsuper THEN 'SUPERUSER' END, CASE WHEN r.rolcreaterole THEN 'CREATEROLE' END,
         CASE WHEN r.rolcreatedb THEN 'CREATEDB' END, CASE WHEN r.rolreplication THEN 'REPLICATION' END,
         CASE WHEN r.rolbypassrls THEN 'BYPASSRLS' END], NULL) AS powers,
       ARRAY(SELECT g.rolname::text FROM pg_roles g
             WHERE g.oid <> r.oid AND g.rolname <> $1 AND pg_has_role(r.oid, g.oid, 'MEMBER')) AS roles
     FROM pg_roles r WHERE r.rolname = session_user`,
    [readerRole],
  );
  const [me] = rows;
  if (!me || (me.powers.length === 0 && me.roles.length === 0)) return;
  const more = [...me.powers, ...me.roles.map((r) => `member of ${r}`)].join(', ');
  throw new EtlError('ETL_DB', `The API's login ${me.user} can do more than read (${more}): the server refuses it`, {
    details: {
      hint: `give serve a role of its own (API_DB_USER): a new name is created with SELECT only; or REVOKE what ${me.user} should not have`,
    },
  });
}
