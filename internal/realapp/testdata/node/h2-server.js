// Node's http2 over TLS on 127.0.0.1:PORT, for WebSockets over HTTP/2
// (RFC 8441) tests.
//   node h2-server.js PORT MODE CERT KEY
// stream:            h2 only (no allowHTTP1), SETTINGS_ENABLE_CONNECT_PROTOCOL
//                    advertised; a 'stream' handler answers an extended
//                    CONNECT (:protocol websocket) to /echo with :status 200
//                    and runs a `ws` WebSocket on the stream (the workaround
//                    of socket.io#5067 and ws#1458), which echoes.
// upgrade:           allowHTTP1, the setting advertised, a request handler
//                    and an HTTP/1.1 'upgrade' handler (ws, echo) but no
//                    'connect' handler: an extended CONNECT gets the compat
//                    layer's 405 (socket.io#5067).
// upgrade-nosetting: the same without the setting (socket.io's HTTP/2
//                    example): clients use HTTP/1.1 for WebSockets.
'use strict';
const fs = require('fs');
const http2 = require('http2');
const { WebSocket, WebSocketServer } = require('ws');

const port = Number(process.argv[2]);
const mode = process.argv[3];
const opts = { key: fs.readFileSync(process.argv[5]), cert: fs.readFileSync(process.argv[4]) };

function echo(ws) {
  ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
  ws.on('error', () => {});
}

let server;
if (mode === 'stream') {
  opts.settings = { enableConnectProtocol: true };
  server = http2.createSecureServer(opts);
  server.on('stream', (stream, headers) => {
    stream.on('error', () => {});
    const method = headers[':method'];
    if (method !== 'CONNECT') {
      stream.respond({ ':status': 200, 'content-type': 'text/plain; charset=utf-8' });
      stream.end(`node h2 (stream): ${method} ${headers[':path']}\n`);
      return;
    }
    if (headers[':protocol'] !== 'websocket' || headers[':path'] !== '/echo') {
      stream.respond({ ':status': 404 }, { endStream: true });
      return;
    }
    if (headers['sec-websocket-version'] !== '13') {
      stream.respond({ ':status': 400, 'sec-websocket-version': '13' }, { endStream: true });
      return;
    }
    stream.respond({ ':status': 200 });
    const ws = new WebSocket(null, undefined, { autoPong: true });
    ws.setSocket(stream, Buffer.alloc(0), { maxPayload: 64 * 1024 * 1024 });
    echo(ws);
  });
} else if (mode === 'upgrade' || mode === 'upgrade-nosetting') {
  opts.allowHTTP1 = true;
  if (mode === 'upgrade') opts.settings = { enableConnectProtocol: true };
  server = http2.createSecureServer(opts, (req, res) => {
    res.setHeader('content-type', 'text/plain; charset=utf-8');
    res.end(`node h2 (${mode}): ${req.method} ${req.url} HTTP/${req.httpVersion}\n`);
  });
  const wss = new WebSocketServer({ noServer: true });
  server.on('upgrade', (req, socket, head) => {
    wss.handleUpgrade(req, socket, head, echo);
  });
} else {
  console.error(`unknown mode ${mode}`);
  process.exit(2);
}

server.on('sessionError', () => {});
server.listen(port, '127.0.0.1', () => console.log(`node h2 ${mode} listening on 127.0.0.1:${port}`));
process.on('SIGTERM', () => process.exit(0));
