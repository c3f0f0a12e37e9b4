/** Materials: density -> modulus / yield law catalogue with citations, and element mapping. @module */
export * from "./laws.js";
export * from "./map.js";
