// graphql-ws (graphql-transport-ws) on `ws`, set up as its README does,
// on 127.0.0.1:PORT/graphql. Connection init must come within 1 s.
//   node graphql-ws-server.js PORT
'use strict';
const { WebSocketServer } = require('ws');
const { useServer } = require('graphql-ws/use/ws');
const { buildSchema } = require('graphql');

const port = Number(process.argv[2]);
const schema = buildSchema(`
  type Query { hello: String }
  type Subscription { greetings: String }
`);
const roots = {
  query: { hello: () => 'world' },
  subscription: {
    greetings: async function* () {
      for (const hi of ['Hi', 'Bonjour', 'Hola']) yield { greetings: hi };
    },
  },
};
const wss = new WebSocketServer({ host: '127.0.0.1', port, path: '/graphql' });
useServer({ schema, roots, connectionInitWaitTimeout: 1000 }, wss);
wss.on('listening', () => console.log(`graphql-ws listening on 127.0.0.1:${port}/graphql`));
process.on('SIGTERM', () => process.exit(0));
