// Types for the two files Emscripten generates: the ES module glue and the compiled core.
declare module "*/heyhi-core.mjs" {
  export interface HeyhiCoreModule {
    HEAPU8: Uint8Array;
    _hh_alloc(size: number): number;
    _hh_free(pointer: number): void;
    _hh_result_len(): number;
    _hh_validate_config(pointer: number, size: number): number;
    _hh_plan(pointer: number, size: number): number;
    _hh_budget(pointer: number, size: number): number;
    _hh_cost(pointer: number, size: number): number;
    _hh_baselines(pointer: number, size: number): number;
    _hh_build_request(pointer: number, size: number): number;
    _hh_classify(pointer: number, size: number): number;
    _hh_insert_body(pointer: number, size: number): number;
    _hh_summarize(pointer: number, size: number): number;
    _hh_evaluate(pointer: number, size: number): number;
    _hh_aggregate(pointer: number, size: number): number;
    _hh_render_notification(pointer: number, size: number): number;
    _hh_validate_slack_message(pointer: number, size: number): number;
    _hh_status_plan(pointer: number, size: number): number;
    _hh_parse_status(pointer: number, size: number): number;
    _hh_status_lag(pointer: number, size: number): number;
  }
  export interface HeyhiCoreOptions {
    instantiateWasm(
      imports: WebAssembly.Imports,
      receive: (instance: WebAssembly.Instance, module?: WebAssembly.Module) => void,
    ): object;
  }
  const createHeyhiCore: (options: HeyhiCoreOptions) => Promise<HeyhiCoreModule>;
  export default createHeyhiCore;
}

declare module "*.wasm" {
  const compiled: WebAssembly.Module;
  export default compiled;
}

// The chart library's browser build and style, bundled as text (wrangler.toml's Text rule).
declare module "uplot/dist/uPlot.iife.min.js" {
  const text: string;
  export default text;
}
declare module "uplot/dist/uPlot.min.css" {
  const text: string;
  export default text;
}
