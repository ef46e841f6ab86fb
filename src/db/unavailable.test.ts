import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { EtlError, isEtlError } from '../internal/errors.ts';
import { asUnavailable, isConnectionLoss, keepAliveOnError, orUnavailable } from './unavailable.ts';

const withCode = (message: string, code: string) => Object.assign(new Error(message), { code });

describe('database unavailable', () => {
  it('behavior: a dropped, refused or terminated connection is a connection loss; a bad statement is not', () => {
    for (const lost of [
      withCode('terminating connection due to administrator command', '57P01'),
      withCode('the database system is starting up', '57P03'),
      withCode('connection failure', '08006'),
      withCode('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED'),
      withCode('Connection lost: The server closed the connection.', 'PROTOCOL_CONNECTION_LOST'),
      new Error('Connection terminated unexpectedly'),
      new Error('Client has encountered a connection error and is not queryable'),
    ]) {
      expect(isConnectionLoss(lost), lost.message).toBe(true);
    }
    for (const wrong of [
      withCode('syntax error at or near "SELEC"', '42601'),
      withCode('duplicate key value violates unique constraint', '23505'),
      withCode('canceling statement due to statement timeout', '57014'),
      new EtlError('ETL_INPUT_INVALID', 'Connection terminated by a bad file'),
      'Connection terminated',
    ]) {
      expect(isConnectionLoss(wrong), String(wrong)).toBe(false);
    }
  });

  it('behavior: a connection loss becomes a retryable ETL_DB_UNAVAILABLE carrying the cause; other errors pass as they are', async () => {
    const cause = withCode('terminating connection due to administrator command', '57P01');
    const error = asUnavailable(cause);
    expect(isEtlError(error, 'ETL_DB_UNAVAILABLE')).toBe(true);
    expect(error).toMatchObject({ retryable: true, cause });
    expect((error as Error).message).toBe(
      'The database is unavailable (terminating connection due to administrator command); connections are made again once it is back',
    );
    const wrong = withCode('syntax error', '42601');
    await expect(orUnavailable(Promise.reject(wrong))).rejects.toBe(wrong);
    await expect(orUnavailable(Promise.reject(cause))).rejects.toMatchObject({ code: 'ETL_DB_UNAVAILABLE' });
    await expect(orUnavailable(Promise.resolve(7))).resolves.toBe(7);
  });

  it('behavior: a connection that emits error twice (pg: the notice, then the closed socket) does not throw', () => {
    const connection = new EventEmitter();
    keepAliveOnError(connection, undefined, 'main');
    expect(() => {
      connection.emit('error', withCode('terminating connection due to administrator command', '57P01'));
      connection.emit('error', new Error('Connection terminated unexpectedly'));
    }).not.toThrow();
  });
});
