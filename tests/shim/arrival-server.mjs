// A loopback HTTP server in a process of its own, so that nothing in the client's process can
// delay or hide when a request's bytes arrive. It answers each request with the time its first
// byte was read, on the machine's monotonic clock (process.hrtime), which every process shares.
//
//   node tests/shim/arrival-server.mjs   prints {"port":N}, then serves until killed
//
// Requests are parsed only as far as a client of it needs: headers, then content-length bytes.

import net from 'node:net';

const HEAD_END = '\r\n\r\n';

function answer(socket, arrivedNs) {
  const body = JSON.stringify({ arrived_ms: Number(arrivedNs) / 1e6 });
  const head = ['HTTP/1.1 200 OK', 'content-type: application/json',
    `content-length: ${Buffer.byteLength(body)}`, 'connection: keep-alive'];
  socket.write(`${head.join('\r\n')}${HEAD_END}${body}`);
}

function bodyLength(head) {
  const match = /^content-length:\s*(\d+)\s*$/im.exec(head);
  return match ? Number(match[1]) : 0;
}

const server = net.createServer((socket) => {
  let buffered = Buffer.alloc(0);
  let arrivedNs = null;
  socket.on('data', (chunk) => {
    arrivedNs ??= process.hrtime.bigint();
    buffered = Buffer.concat([buffered, chunk]);
    const end = buffered.indexOf(HEAD_END);
    if (end < 0) return;
    const total = end + HEAD_END.length + bodyLength(buffered.subarray(0, end).toString('latin1'));
    if (buffered.length < total) return;
    answer(socket, arrivedNs);
    buffered = buffered.subarray(total);
    arrivedNs = null;
  });
  socket.on('error', () => socket.destroy());
});

server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: server.address().port })}\n`);
});
