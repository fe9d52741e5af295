// The routes of the app, read from the Express router at run time (never a hand-kept list):
// the route walker sends each one hostile values, the accessibility walk opens its GET pages.
import type { Express } from 'express';

export interface Route {
  method: string;
  path: string;
}

/** Every method + path the app routes, walking nested routers (Express 5 / router 2 layers). */
export function routesOf(app: Express): Route[] {
  const found: Route[] = [];
  type Layer = { route?: { path: string | string[]; methods: Record<string, boolean> }; rawPath?: string | string[]; handle?: { stack?: Layer[] } };
  const list = (value: string | string[] | undefined) => (value === undefined ? [''] : Array.isArray(value) ? value : [value]);
  const walk = (stack: Layer[], prefix: string) => {
    for (const layer of stack) {
      if (layer.route) {
        for (const routePath of list(layer.route.path))
          for (const method of Object.keys(layer.route.methods)) found.push({ method: method.toUpperCase(), path: prefix + routePath });
      } else if (layer.handle?.stack) {
        for (const mount of list(layer.rawPath)) walk(layer.handle.stack, prefix + (mount === '/' ? '' : mount));
      }
    }
  };
  walk((app as unknown as { router: { stack: Layer[] } }).router.stack, '');
  const unique = new Map(found.map((route) => [`${route.method} ${route.path}`, route]));
  return [...unique.values()].filter((route) => route.method === 'GET' || route.method === 'POST');
}
