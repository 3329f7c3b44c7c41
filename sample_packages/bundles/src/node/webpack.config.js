// webpack production build of the handler (terser + LICENSE.txt extraction are webpack 5's defaults)
const path = require("path");
module.exports = {
  mode: "production",
  target: "node",
  context: process.env.APP_DIR,
  entry: "./index.js",
  resolve: { modules: [path.join(process.env.APP_DIR, "node_modules")] },
  output: { path: process.env.OUT_DIR, filename: "index.js", library: { type: "commonjs2" } },
  externals: { encoding: "commonjs encoding" },
};
