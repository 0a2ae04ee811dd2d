import { expect, test } from 'vitest';
import { isNoSuchUpload, isServiceResponse, safeErrorInfo } from './safe-error.js';

test('keeps name, code, status and message; drops the rest of an SDK error', () => {
  const err = Object.assign(new Error('The specified upload does not exist.'), {
    name: 'NoSuchUpload',
    Code: 'NoSuchUpload',
    $metadata: { httpStatusCode: 404, requestId: 'r' },
    $response: { headers: { authorization: 'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/2024/us-east-1/s3/aws4_request, Signature=abc' } },
  });
  expect(safeErrorInfo(err)).toEqual({ name: 'NoSuchUpload', code: 'NoSuchUpload', httpStatus: 404, message: 'The specified upload does not exist.' });
  expect(isNoSuchUpload(err)).toBe(true);
  expect(isServiceResponse(err)).toBe(true);
});

test('scrubs signing material that a message may echo, and trims long messages', () => {
  const url = 'http://h/b/k?X-Amz-Credential=AKIDEXAMPLE%2F20240101&X-Amz-Signature=deadbeef&partNumber=1';
  const info = safeErrorInfo(new Error(`request to ${url} failed; Authorization: AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/x, Signature=cafe`));
  expect(info.message).not.toMatch(/AKIDEXAMPLE|deadbeef|cafe/);
  expect(info.message).toContain('partNumber=1');
  expect(safeErrorInfo(new Error('x'.repeat(1000))).message.length).toBeLessThanOrEqual(301);
});

test('network errors are not service responses; non-errors are described', () => {
  const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' });
  expect(safeErrorInfo(refused)).toEqual({ name: 'Error', code: 'ECONNREFUSED', message: 'connect ECONNREFUSED 127.0.0.1:9' });
  expect(isServiceResponse(refused)).toBe(false);
  expect(safeErrorInfo('plain')).toEqual({ name: 'NonError', message: 'plain' });
});
