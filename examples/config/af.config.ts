// An af.config.ts with two functions: pick one with `--function <name>`.
//   af-routes validate examples/config --function api
//   af-routes match examples/config --function web /blog/hello
// The default export may also be a function or a promise that returns this object.
export default {
  sites: [],
  functions: [
    {
      name: 'api',
      type: 'function',
      path: './functions/api.js',
      routes: {
        '/api/users/*': 'https://users-service.com',
        '/api/products/*': 'https://products-service.com',
        '/*': 'https://default.com',
      },
    },
    {
      name: 'web',
      type: 'function',
      path: './functions/web.js',
      routes: {
        '/blog/*': 'https://blog.example.com',
        '/assets/*': 'https://cdn.example.com/web',
      },
    },
  ],
};
