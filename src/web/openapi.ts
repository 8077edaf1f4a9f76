import type { RestRoute } from './rest-routes.js';

interface ObjectSchema {
  properties?: Record<string, object>;
  required?: readonly string[];
}

const ERRORS = {
  description: 'Refused: `{"errors": ["reason"]}`',
  content: {
    'application/json': {
      schema: { type: 'object', properties: { errors: { type: 'array', items: { type: 'string' } } } },
    },
  },
};

function parameters(schema: object | undefined, where: 'path' | 'query'): object[] {
  const s = (schema ?? {}) as ObjectSchema;
  return Object.entries(s.properties ?? {}).map(([name, value]) => ({
    name,
    in: where,
    required: where === 'path' || (s.required ?? []).includes(name),
    schema: value,
  }));
}

/**
 * The OpenAPI 3.1 document of the routes, built from the same JSON Schemas that validate their requests, so the
 * published contract cannot drift from what the server accepts. `security` is listed when the server has a token.
 */
export function openApiDocument(routes: readonly RestRoute[], version: string, bearer: boolean): object {
  const paths: Record<string, Record<string, object>> = {};
  for (const r of routes) {
    const path = r.url.replace(/:([A-Za-z]+)/g, '{$1}');
    const op: Record<string, unknown> = {
      summary: r.summary,
      ...(r.flink === '' ? {} : { description: `Flink: ${r.flink}` }),
      operationId: `${r.method.toLowerCase()}${path.replace(/[{}]/g, '').replace(/[/-](\w)/g, (_m, c: string) => c.toUpperCase())}`,
      parameters: [...parameters(r.schema.params, 'path'), ...parameters(r.schema.querystring, 'query')],
      responses: {
        [String(r.status)]: {
          description: 'OK',
          content: r.text ? { 'text/plain': { schema: { type: 'string' } } } : { 'application/json': { schema: {} } },
        },
        '4XX': ERRORS,
      },
    };
    if (r.schema.body !== undefined) {
      op.requestBody = { required: true, content: { 'application/json': { schema: r.schema.body } } };
    }
    paths[path] ??= {};
    paths[path][r.method.toLowerCase()] = op;
  }
  return {
    openapi: '3.1.0',
    info: { title: 'Sluice REST API', version, description: "Flink's REST paths and field names for Sluice jobs." },
    paths,
    ...(bearer
      ? {
          components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
          security: [{ bearer: [] }],
        }
      : {}),
  };
}
