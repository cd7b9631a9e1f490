// A Socket.IO v4 server on 127.0.0.1:PORT that echoes "chat" events.
//   node socketio-server.js PORT [NAME]
// NAME is sent in the "hello" event so a test can tell two nodes apart.
'use strict';
const http = require('http');
const { Server } = require('socket.io');

const port = Number(process.argv[2]);
const name = process.argv[3] || 'node';
const server = http.createServer((req, res) => { res.writeHead(404); res.end(); });
const io = new Server(server, { pingInterval: 25000, pingTimeout: 20000 });
io.on('connection', (socket) => {
  socket.emit('hello', name);
  socket.on('chat', (msg, ack) => {
    io.emit('chat', msg);
    if (typeof ack === 'function') ack('ok');
  });
});
server.listen(port, '127.0.0.1', () => console.log(`socket.io ${name} listening on 127.0.0.1:${port}`));
process.on('SIGTERM', () => process.exit(0));
