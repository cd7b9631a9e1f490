// A Node `ws` server as apps set it up, on 127.0.0.1:PORT.
//   node ws-server.js PORT [echo|strict-deflate|heartbeat|no-subprotocol]
// echo:            echoes every message (a non-upgrade request gets ws's 426).
// strict-deflate:  permessage-deflate that insists on client_max_window_bits
//                  and on context takeover: other offers get ws's 400.
// heartbeat:       the ws README's heartbeat: a ping every 500 ms, a client
//                  that did not answer the previous one is terminated.
// no-subprotocol:  selects no subprotocol whatever the client offers.
'use strict';
const { WebSocketServer } = require('ws');

const port = Number(process.argv[2]);
const mode = process.argv[3] || 'echo';

const opts = { host: '127.0.0.1', port };
if (mode === 'strict-deflate') {
  opts.perMessageDeflate = { clientMaxWindowBits: 10, serverNoContextTakeover: false };
}
if (mode === 'no-subprotocol') {
  opts.handleProtocols = () => false;
}
const wss = new WebSocketServer(opts);

wss.on('connection', (ws) => {
  ws.isAlive = true;
  ws.on('pong', () => { ws.isAlive = true; });
  ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
});

if (mode === 'heartbeat') {
  const interval = setInterval(() => {
    for (const ws of wss.clients) {
      if (ws.isAlive === false) { ws.terminate(); continue; }
      ws.isAlive = false;
      ws.ping();
    }
  }, 500);
  wss.on('close', () => clearInterval(interval));
}

wss.on('listening', () => console.log(`ws ${mode} listening on 127.0.0.1:${port}`));
process.on('SIGTERM', () => process.exit(0));
