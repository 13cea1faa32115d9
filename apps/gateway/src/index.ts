export { createGateway, type CreateGatewayOptions, type Gateway } from './create-gateway.ts';
export { loadConfig, type GatewayConfig, type LoadConfigOptions } from './config/load-config.ts';
export { ConfigError } from './config/interpolate-env.ts';
export type { GatewayServices } from './gateway-services.ts';
export { renderRunTree } from './cli/render-run-tree.ts';
export type { RunNodeView, RunView, SpanView } from './routes/runs-view.ts';
