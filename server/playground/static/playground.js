// Starts GraphiQL on /graphql of this origin: queries and mutations over
// HTTP, subscriptions over the graphql-transport-ws websocket. Headers typed
// into the headers editor (an access token) are kept in localStorage.
(function () {
  'use strict';

  var url = location.protocol + '//' + location.host + '/graphql';
  var subscriptionUrl = (location.protocol === 'https:' ? 'wss:' : 'ws:') + '//' + location.host + '/graphql';

  var defaultQuery = [
    '# Trace the demo\'s pork loin; tracing needs no login.',
    '# Log in with the mutation in the README and send',
    '# {"Authorization": "Bearer <accessToken>"} under Headers for the rest.',
    '{',
    '  trace(code: "YA0PORK0DEMO0001") {',
    '    batch { lotCode product { name } producer { name } }',
    '    shelf { store { name } shelvedAt }',
    '    warnings { code message }',
    '  }',
    '}',
    ''
  ].join('\n');

  var fetcher = GraphiQL.createFetcher({ url: url, subscriptionUrl: subscriptionUrl });
  var root = ReactDOM.createRoot(document.getElementById('graphiql'));
  root.render(React.createElement(GraphiQL, {
    fetcher: fetcher,
    defaultQuery: defaultQuery,
    isHeadersEditorEnabled: true,
    shouldPersistHeaders: true,
    inputValueDeprecation: true
  }));
})();
