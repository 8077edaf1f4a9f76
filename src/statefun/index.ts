/**
 * Stateful Functions (`sluice/statefun`): message-driven applications with per-instance state, messages between
 * functions, delayed messages, sagas and remote functions, run as a Sluice job with exactly-once checkpoints and an
 * HTTP ingress whose answers are sent only once their effects are durable. See docs/STATEFUN.md.
 */
export { type Address, address, addressKey, parseAddressKey } from './address.js';
export {
  cliCheckpointDir,
  StatefulFunctions,
  type StatefulFunctionsJob,
  type StatefulFunctionsOptions,
} from './app.js';
export {
  type AnyFunctionSpec,
  type Context,
  type FunctionSpec,
  type MessageInfo,
  type ReplyToken,
  type StateAccess,
  type StateHandle,
  type StateSpecs,
  statefun,
  type ValueSpec,
  value,
} from './function.js';
export {
  HttpError,
  type HttpIngressOptions,
  type HttpRoute,
  type IngressRequest,
  type RoutedMessage,
} from './http-ingress.js';
export { invokeFunction } from './invoke.js';
export type * from './protocol.js';
export type { RemoteEndpointOptions } from './remote-client.js';
export { type FunctionServer, handleInvocations, type ServeOptions, serveFunctions } from './remote-server.js';
export {
  type SagaCall,
  SagaDefinition,
  type SagaFailure,
  type SagaResults,
  type SagaStep,
  saga,
} from './saga.js';
export type { StateApiOptions } from './state-api-auth.js';
