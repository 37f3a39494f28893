import assert from 'node:assert/strict';
import { socketProblem } from '../../src/core/socket-problem';

describe('socket problems', () => {
  it('maps errors by e.code, keeping where it happened', () => {
    const error = Object.assign(new Error('bind EADDRINUSE 239.1.1.1:80'), { code: 'EADDRINUSE', errno: -98 });
    assert.deepEqual(socketProblem(error, 'bind', { group: '239.1.1.1', port: 80 }), {
      code: 'socket-EADDRINUSE',
      params: { group: '239.1.1.1', port: 80, step: 'bind' },
    });
    for (const code of ['EACCES', 'EINVAL', 'ENODEV', 'EADDRNOTAVAIL']) {
      assert.equal(socketProblem(Object.assign(new Error(code), { code }), 'join', {}).code, `socket-${code}`);
    }
  });

  it('keeps the system message for codes it has no advice for', () => {
    const error = Object.assign(new Error('send ENOBUFS'), { code: 'ENOBUFS' });
    assert.deepEqual(socketProblem(error, 'send', { group: 'g' }), {
      code: 'socket-other',
      params: { group: 'g', step: 'send', detail: 'send ENOBUFS' },
    });
  });
});
