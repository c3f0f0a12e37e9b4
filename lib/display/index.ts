/**
 * Display helpers: pure functions from results to Jupyter MIME bundles (plotly figures, tables, CT
 * slices, meshes, progress). Show them with `display()` from `bct/kernel/display` in the bct kernel.
 * @module
 */
export * from "./errors.js";
export * from "./mime.js";
export * from "./png.js";
export * from "./window.js";
export * from "./colormap.js";
export * from "./slice.js";
export * from "./slice-view.js";
export * from "./slice-through.js";
export * from "./plotly.js";
export * from "./table.js";
export * from "./mesh.js";
export * from "./progress.js";
export * from "./dxa.js";
export * from "./dxa-spine.js";
export * from "./validation.js";
