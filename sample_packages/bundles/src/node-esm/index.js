const _ = require("lodash"); const axios = require("axios"); const qs = require("qs"); const semver = require("semver");
const minimist = require("minimist"); const moment = require("moment"); const debug = require("debug")("x");
const { v4 } = require("uuid"); const jwt = require("jsonwebtoken"); const json5 = require("json5");
const xml2js = require("xml2js"); const Handlebars = require("handlebars"); const async = require("async");
const yp = require("yargs-parser"); const tc = require("tough-cookie");
exports.handler = async (e) => [_.VERSION, axios, qs.parse("a=1"), semver.valid("1.2.3"), minimist([]), moment().format(), debug, v4(), jwt, json5.parse("{}"), xml2js, Handlebars, async, yp([]), tc];
