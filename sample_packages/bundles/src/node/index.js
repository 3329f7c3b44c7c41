// pkgscan sample handler: real dependencies, bundled by esbuild / webpack (see ../../build.sh)
const _ = require("lodash");
const axios = require("axios");
const jwt = require("jsonwebtoken");
const minimist = require("minimist");
const moment = require("moment");
const fetch = require("node-fetch");

exports.handler = async (event) => {
  const args = minimist((event.argv || []).map(String));
  const claims = jwt.verify(event.token || "", process.env.JWT_SECRET || "secret", { algorithms: ["HS256"] });
  const when = moment(event.when).utc().format();
  const merged = _.merge({}, event.defaults, args);
  const a = await axios.get(process.env.ORDERS_URL || "http://localhost:1/");
  const b = await fetch(process.env.STOCK_URL || "http://localhost:1/");
  return { claims, when, merged, status: [a.status, b.status] };
};
